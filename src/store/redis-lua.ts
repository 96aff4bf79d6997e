import { createHash } from 'node:crypto';

/**
 * The Lua scripts behind RedisStore's atomic operations. Each runs as one unit inside Redis, so
 * a check and the change it guards (a balance check and the hold) cannot interleave with another
 * client's. Run by `runScript` (redis-eval.ts: EVALSHA, falling back to EVAL after a restarted
 * Redis forgot its script cache).
 *
 * Numbers: Lua works in doubles, like JS. Numbers going back into Redis or JSON are written with
 * `%.17g` (exact round trip; Lua's own tostring and cjson keep only 14 digits), and numbers
 * returned to the client are returned as strings (Redis would truncate a Lua number to an integer).
 *
 * Settle and claimDueJobs touch keys named inside the script (from the prefix in ARGV), which is
 * fine on a standalone Redis (not on Redis Cluster unless every key shares one hash tag).
 */

/** Helpers prepended to every script. */
export const LIB = `
local function num(x) return string.format('%.17g', x) end
local function entry(seq, at, key, kind, amount, tid, bal, held)
  return '{"seq":' .. seq .. ',"at":' .. at .. ',"key":' .. cjson.encode(key) .. ',"kind":"' .. kind ..
    '","amount":' .. num(amount) .. ',"task_id":' .. (tid and cjson.encode(tid) or 'null') ..
    ',"balance":' .. num(bal) .. ',"held":' .. num(held) .. '}'
end
local function append(ledger, seqKey, keyLedger, at, key, kind, amount, tid, bal, held)
  local seq = redis.call('INCR', seqKey)
  local e = entry(seq, at, key, kind, amount, tid, bal, held)
  redis.call('RPUSH', ledger, e)
  redis.call('RPUSH', keyLedger, e)
  return seq
end
-- \`old\`: the task's stored meta JSON if the caller has read it, false for a task never stored
-- (no read), nil to read it here.
local function putTask(prefix, id, json, meta, status, model, key, old)
  local metaKey = prefix .. 'tasks:meta'
  if old == nil then old = redis.call('HGET', metaKey, id) end
  local o = old and cjson.decode(old) or {}
  -- Only an index whose value changed is touched (a status move leaves model and key alone).
  local function index(part, i, value)
    if o[i] == value then return end
    if o[i] then redis.call('SREM', prefix .. part .. o[i], id) end
    redis.call('SADD', prefix .. part .. value, id)
  end
  index('tasks:status:', 1, status)
  index('tasks:model:', 2, model)
  index('tasks:key:', 3, key)
  redis.call('SET', prefix .. 'task:' .. id, json)
  -- Written by the same JSON.stringify of the same three strings: equal when none changed.
  if old ~= meta then redis.call('HSET', metaKey, id, meta) end
end
-- putTask unless the task has ended (an end is final); ARGV as redis-task-args.ts lays them out. 1 if stored.
local function putLiveTask(prefix, id, json, meta, status, model, key)
  local old = redis.call('HGET', prefix .. 'tasks:meta', id)
  if old then
    local s = cjson.decode(old)[1]
    if s == 'COMPLETED' or s == 'FAILED' then return 0 end
  end
  putTask(prefix, id, json, meta, status, model, key, old or false)
  return 1
end
local function settle(prefix, tid, outcome, at)
  local holds = prefix .. 'holds'
  local h = redis.call('HGET', holds, tid)
  if not h then return 0 end
  local sep = string.find(h, ':', 1, true)
  local amount = tonumber(string.sub(h, 1, sep - 1))
  local key = string.sub(h, sep + 1)
  local keyHash = prefix .. 'key:' .. key
  -- One read for the key's existence and figures (a key hash always has credits).
  local kv = redis.call('HMGET', keyHash, 'credits', 'held')
  if not kv[1] then return 0 end
  redis.call('HDEL', holds, tid)
  local credits = tonumber(kv[1])
  local held = tonumber(kv[2]) - amount
  if outcome == 'capture' then credits = credits - amount end
  redis.call('HSET', keyHash, 'credits', num(credits), 'held', num(held))
  append(prefix .. 'ledger', prefix .. 'ledger:seq', prefix .. 'ledger:key:' .. key, at, key, outcome, amount, tid, credits, held)
  return 1
end
`;

export interface ScriptDef {
  numberOfKeys: number;
  lua: string;
  /** SHA-1 of `lua`, the name EVALSHA runs it by. */
  sha: string;
}

/** A script as it is sent: `lua` as given. */
export const luaScript = (numberOfKeys: number, lua: string): ScriptDef => ({
  numberOfKeys,
  lua,
  sha: createHash('sha1').update(lua).digest('hex'),
});

/** A script with the helpers above. */
export const script = (numberOfKeys: number, body: string): ScriptDef => luaScript(numberOfKeys, LIB + body);
