/**
 * The Lua scripts behind RedisStore's atomic operations on keys, the ledger and tasks (the rest
 * are in redis-record-scripts.ts; the shared helpers and the notes on numbers in redis-lua.ts).
 */
import { script, type ScriptDef } from './redis-lua.js';
import { RECORD_SCRIPTS } from './redis-record-scripts.js';
import { TASK_SCRIPTS } from './redis-task-scripts.js';
import { JOB_SCRIPTS } from './redis-job-scripts.js';

export type { ScriptDef } from './redis-lua.js';

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
   * settle its hold (if any), store the terminal record and, with it, the task's webhook delivery
   * and that delivery's first step (a plain job: no task, no group), as one unit.
   * KEYS: task key, task meta hash. ARGV: prefix, id, 'capture' | 'release', at, task JSON, meta
   * JSON, status, model, key, delivery id or '', delivery JSON, job id or '', job due, job JSON.
   * Returns 1 when this call finished the task, 0 when another had.
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
putTask(ARGV[1], ARGV[2], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], old or false)
if ARGV[10] ~= '' then
  local d = ARGV[1] .. 'delivery:' .. ARGV[10]
  if redis.call('EXISTS', d) == 0 then
    redis.call('RPUSH', ARGV[1] .. 'deliveries', ARGV[10])
    redis.call('RPUSH', ARGV[1] .. 'deliveries:task:' .. ARGV[2], ARGV[10])
  end
  redis.call('SET', d, ARGV[11])
end
if ARGV[12] ~= '' then
  redis.call('HSET', ARGV[1] .. 'jobs:data', ARGV[12], ARGV[14])
  redis.call('ZADD', ARGV[1] .. 'jobs:due', ARGV[13], ARGV[12])
end
return 1
`,
  ),

  /**
   * Store a task and move it between the filter indexes, unless it has ended (an end is final).
   * Keys named from the prefix. ARGV: prefix, then the task as `taskArgs` lays it out.
   */
  gwsimPutTask: script(0, `return putLiveTask(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])`),
  ...RECORD_SCRIPTS,
  ...TASK_SCRIPTS,
  ...JOB_SCRIPTS,
} satisfies Record<string, ScriptDef>;

export type ScriptName = keyof typeof SCRIPTS;
