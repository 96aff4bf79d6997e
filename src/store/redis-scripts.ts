/**
 * The Lua scripts behind RedisStore's atomic operations. Each runs as one unit inside Redis, so
 * a check and the change it guards (a balance check and the hold) cannot interleave with another
 * client's. Registered with ioredis `defineCommand` (EVALSHA, falling back to EVAL after a
 * restarted Redis forgot its script cache).
 *
 * Numbers: Lua works in doubles, like JS. Numbers going back into Redis or JSON are written with
 * `%.17g` (exact round trip; Lua's own tostring and cjson keep only 14 digits), and numbers
 * returned to the client are returned as strings (Redis would truncate a Lua number to an integer).
 *
 * Settle and claimDueJobs touch keys named inside the script (from the prefix in ARGV), which is
 * fine on a standalone Redis (not on Redis Cluster unless every key shares one hash tag).
 */

/** Helpers prepended to every script. */
const LIB = `
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
local function putTask(prefix, id, json, meta, status, model, key)
  local metaKey = prefix .. 'tasks:meta'
  local old = redis.call('HGET', metaKey, id)
  if old then
    local o = cjson.decode(old)
    redis.call('SREM', prefix .. 'tasks:status:' .. o[1], id)
    redis.call('SREM', prefix .. 'tasks:model:' .. o[2], id)
    redis.call('SREM', prefix .. 'tasks:key:' .. o[3], id)
  end
  redis.call('SET', prefix .. 'task:' .. id, json)
  redis.call('HSET', metaKey, id, meta)
  redis.call('SADD', prefix .. 'tasks:status:' .. status, id)
  redis.call('SADD', prefix .. 'tasks:model:' .. model, id)
  redis.call('SADD', prefix .. 'tasks:key:' .. key, id)
end
local function settle(prefix, tid, outcome, at)
  local holds = prefix .. 'holds'
  local h = redis.call('HGET', holds, tid)
  if not h then return 0 end
  local sep = string.find(h, ':', 1, true)
  local amount = tonumber(string.sub(h, 1, sep - 1))
  local key = string.sub(h, sep + 1)
  local keyHash = prefix .. 'key:' .. key
  if redis.call('EXISTS', keyHash) == 0 then return 0 end
  redis.call('HDEL', holds, tid)
  local credits = tonumber(redis.call('HGET', keyHash, 'credits'))
  local held = tonumber(redis.call('HGET', keyHash, 'held')) - amount
  if outcome == 'capture' then credits = credits - amount end
  redis.call('HSET', keyHash, 'credits', num(credits), 'held', num(held))
  append(prefix .. 'ledger', prefix .. 'ledger:seq', prefix .. 'ledger:key:' .. key, at, key, outcome, amount, tid, credits, held)
  return 1
end
`;

export interface ScriptDef {
  numberOfKeys: number;
  lua: string;
}

const script = (numberOfKeys: number, body: string): ScriptDef => ({ numberOfKeys, lua: LIB + body });

export const SCRIPTS = {
  /**
   * Create or replace a key with a grant.
   * KEYS: key hash, key index (zset), ledger, ledger seq, key's ledger.
   * ARGV: key, credits, secret, requests, window_s, at. Returns HGETALL of the key.
   */
  gwsimCreateKey: script(
    5,
    `
local credits = tonumber(ARGV[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'key', ARGV[1], 'credits', num(credits), 'held', '0', 'secret', ARGV[3], 'requests', ARGV[4], 'window_s', ARGV[5])
local seq = append(KEYS[3], KEYS[4], KEYS[5], ARGV[6], ARGV[1], 'grant', credits, false, credits, 0)
redis.call('ZADD', KEYS[2], 'NX', seq, ARGV[1])
return redis.call('HGETALL', KEYS[1])
`,
  ),

  /**
   * Add credits. KEYS: key hash, ledger, ledger seq, key's ledger. ARGV: key, amount, at.
   * Returns HGETALL of the key, or nil when it does not exist.
   */
  gwsimTopUp: script(
    4,
    `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local amount = tonumber(ARGV[2])
local credits = tonumber(redis.call('HGET', KEYS[1], 'credits')) + amount
local held = tonumber(redis.call('HGET', KEYS[1], 'held'))
redis.call('HSET', KEYS[1], 'credits', num(credits))
append(KEYS[2], KEYS[3], KEYS[4], ARGV[3], ARGV[1], 'topup', amount, false, credits, held)
return redis.call('HGETALL', KEYS[1])
`,
  ),

  /**
   * Hold credits for a task if credits − held covers them.
   * KEYS: key hash, holds hash, ledger, ledger seq, key's ledger. ARGV: key, task id, amount, at.
   * Returns {'unknown_key', '0'}, {'insufficient', available} or {'ok', HGETALL of the key...}.
   */
  gwsimHold: script(
    5,
    `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown_key', '0'} end
local amount = tonumber(ARGV[3])
local credits = tonumber(redis.call('HGET', KEYS[1], 'credits'))
local held = tonumber(redis.call('HGET', KEYS[1], 'held'))
local available = credits - held
if available < amount then return {'insufficient', num(available)} end
held = held + amount
redis.call('HSET', KEYS[1], 'held', num(held))
redis.call('HSET', KEYS[2], ARGV[2], num(amount) .. ':' .. ARGV[1])
append(KEYS[3], KEYS[4], KEYS[5], ARGV[4], ARGV[1], 'hold', amount, ARGV[2], credits, held)
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, 'ok')
return out
`,
  ),

  /**
   * Capture or release a task's hold. KEYS: holds hash, ledger, ledger seq.
   * ARGV: prefix, task id, 'capture' | 'release', at. Returns 1, or 0 when the task holds nothing.
   */
  gwsimSettle: script(
    3,
    `
return settle(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
`,
  ),

  /**
   * A task's one terminal transition: unless its stored record is already COMPLETED or FAILED,
   * settle its hold (if any) and store the terminal record, as one unit.
   * KEYS: task key, task meta hash. ARGV: prefix, id, 'capture' | 'release', at, task JSON, meta
   * JSON, status, model, key. Returns 1 when this call finished the task, 0 when another had.
   */
  gwsimFinishTask: script(
    2,
    `
local old = redis.call('HGET', KEYS[2], ARGV[2])
if old then
  local s = cjson.decode(old)[1]
  if s == 'COMPLETED' or s == 'FAILED' then return 0 end
end
settle(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
putTask(ARGV[1], ARGV[2], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
return 1
`,
  ),

  /**
   * Store a task and move it between the filter indexes.
   * KEYS: task key, task meta hash (id → JSON [status, model, key]).
   * ARGV: prefix, id, task JSON, meta JSON, status, model, key.
   */
  gwsimPutTask: script(
    2,
    `
putTask(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
return 1
`,
  ),

  /**
   * Claim an idempotency scope. KEYS: the scope's hash. ARGV: fingerprint, at, ttl ms, GC expiry ms,
   * pending ttl ms (a claim bound to no task expires after it). Expiry follows the simulator clock
   * (`at`); the Redis expiry only collects garbage, later.
   * Returns nil when this call claimed it, else {fingerprint, taskId or nil, createdAt}.
   */
  gwsimClaimIdempotency: script(
    1,
    `
local r = redis.call('HMGET', KEYS[1], 'fingerprint', 'taskId', 'createdAt')
if r[1] then
  local age = tonumber(ARGV[2]) - tonumber(r[3])
  if age < tonumber(ARGV[3]) and (r[2] or age < tonumber(ARGV[5])) then return r end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1], 'createdAt', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return false
`,
  ),

  /** Bind a claimed scope to its task; nothing if unclaimed. KEYS: scope hash. ARGV: task id. */
  gwsimBindIdempotency: script(
    1,
    `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'taskId', ARGV[1]) end
return 1
`,
  ),

  /**
   * Count a hit in a fixed window that follows the simulator clock. KEYS: the window hash.
   * ARGV: now, window ms, GC expiry ms. Returns {count, resetAt} as strings.
   */
  gwsimHitRateLimit: script(
    1,
    `
local now = tonumber(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'count', 'resetAt')
if (not r[1]) or now >= tonumber(r[2]) then
  local resetAt = num(now + tonumber(ARGV[2]))
  redis.call('HSET', KEYS[1], 'count', '1', 'resetAt', resetAt)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'1', resetAt}
end
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
return {tostring(count), r[2]}
`,
  ),

  /**
   * Store a delivery; a new one goes to the end of the global list and of its task's list.
   * KEYS: delivery key, global id list, task's id list. ARGV: id, JSON.
   */
  gwsimPutDelivery: script(
    3,
    `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  redis.call('RPUSH', KEYS[3], ARGV[1])
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`,
  ),

  /**
   * Add or move a job (clearing any lease). KEYS: due zset, lease zset, job hash.
   * ARGV: id, due, JSON.
   */
  gwsimScheduleJob: script(
    3,
    `
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
`,
  ),

  /**
   * Claim due jobs. Expired leases go back to the due set first (their instance died), then up
   * to `limit` jobs due at or before now are taken in (due, id) order and leased.
   * KEYS: due zset, lease zset, job hash. ARGV: now, limit (-1: no limit), lease until.
   * Returns the claimed jobs' JSON.
   */
  gwsimClaimDueJobs: script(
    3,
    `
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  local data = redis.call('HGET', KEYS[3], id)
  if data then redis.call('ZADD', KEYS[1], num(cjson.decode(data).due), id) end
end
local limit = tonumber(ARGV[2])
if limit == 0 then return {} end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, limit)
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local data = redis.call('HGET', KEYS[3], id)
  if data then
    redis.call('ZADD', KEYS[2], ARGV[3], id)
    out[#out + 1] = data
  end
end
return out
`,
  ),

  /**
   * Set or delete an entry of a shared collection and bump its version.
   * KEYS: the collection hash, its version counter. ARGV: id, JSON ('' deletes).
   */
  gwsimPutShared: script(
    2,
    `
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return redis.call('INCR', KEYS[2])
`,
  ),

  /**
   * A shared collection if its version moved. KEYS: the hash, the version counter. ARGV: since.
   * Returns nil when unchanged, else {version, HGETALL...}.
   */
  gwsimReadShared: script(
    2,
    `
local v = redis.call('GET', KEYS[2]) or '0'
if v == ARGV[1] then return false end
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, v)
return out
`,
  ),

  /** The generation marker, set to ARGV[1] if missing. KEYS: the marker. Returns its value. */
  gwsimGeneration: script(
    1,
    `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`,
  ),

  /** Forget a job. KEYS: due zset, lease zset, job hash. ARGV: id. */
  gwsimCompleteJob: script(
    3,
    `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`,
  ),
} satisfies Record<string, ScriptDef>;

export type ScriptName = keyof typeof SCRIPTS;
