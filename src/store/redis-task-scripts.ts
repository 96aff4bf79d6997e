import { script, type ScriptDef } from './redis-lua.js';
import { HIT } from './redis-record-scripts.js';
import { RESERVE_FN } from './redis-job-book.js';

/**
 * A submit, all or nothing: refuse it if it was resolved as never created or is past its
 * deadline (Redis TIME, epoch ms); answer a live idempotency claim as a duplicate; else hold the
 * credits, store the task, bind the claim and store the first step leased. The task's record is
 * the mark that it was created (resolveCreate reads it); the marker key is only ever written by
 * resolveCreate, as '0'. Task ids are fresh, so the task has no stored meta to read.
 * With an admission time (a submit admitted in the same step, as gwsimAuthorize admits it),
 * first: an unknown key is unknown_key with nothing counted; else the request is counted in the
 * key's window, and a count over the key's limit is 'limited' with nothing else written.
 * With a booking (gwsimCreateTaskBooked: four more keys, thirteen more arguments), a task created
 * books its first job on the node's book as the book's own reserve script would (reserveJob).
 * KEYS: key hash, holds, ledger, ledger seq, key's ledger, idempotency scope, created marker,
 * jobs lease zset, jobs data hash, jobs-per-task hash, rate window hash; booked: the node's book
 * keys (redis-job-book.ts's bookKeys).
 * ARGV: prefix, task id, key, amount, at, task JSON, meta JSON, status, model, deadline or '',
 * fingerprint or '', idempotency ttl, pending ttl, idempotency GC ms, job id or '', job leased
 * until, job JSON, admission time or '', window GC grace ms; booked: reserveJob's arguments
 * (reserveArgs, answering 'place').
 * Returns {'created'}, {'refused'}, {'unknown_key'}, {'insufficient', available},
 * {'duplicate', fingerprint, task id or '', createdAt} or {'limited'}; after an admission or a
 * booking the answer is padded to 4 entries and followed by the booked job's JSON and place (or
 * '' and ''), then, after an admission, the window's count and reset and HGETALL of the key.
 */
const CREATE_TASK =
  HIT +
  RESERVE_FN +
  `
-- kv: the key's credits and held, read once (by the admission's HGETALL when there is one).
local admitted, limit, kv = {}, 0, nil
if ARGV[18] ~= '' then
  local h = redis.call('HGETALL', KEYS[1])
  if #h == 0 then return {'unknown_key'} end
  local windowMs = 0
  for i = 1, #h, 2 do
    if h[i] == 'window_s' then windowMs = tonumber(h[i + 1]) * 1000 end
    if h[i] == 'requests' then limit = tonumber(h[i + 1]) end
    if h[i] == 'credits' then kv = kv or {}; kv[1] = h[i + 1] end
    if h[i] == 'held' then kv = kv or {}; kv[2] = h[i + 1] end
  end
  local gc = string.format('%d', math.max(1, math.ceil(windowMs * 2 + tonumber(ARGV[19]))))
  local w = hit(KEYS[11], tonumber(ARGV[18]), windowMs, gc)
  admitted = h
  table.insert(admitted, 1, w[2])
  table.insert(admitted, 1, w[1])
end
local function create()
if #admitted > 0 and tonumber(admitted[1]) > limit then return {'limited'} end
if redis.call('GET', KEYS[7]) == '0' then return {'refused'} end
if ARGV[10] ~= '' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[10]) then return {'refused'} end
end
if ARGV[11] ~= '' then
  local r = redis.call('HMGET', KEYS[6], 'fingerprint', 'taskId', 'createdAt')
  if r[1] then
    local age = tonumber(ARGV[5]) - tonumber(r[3])
    if age < tonumber(ARGV[12]) and (r[2] or age < tonumber(ARGV[13])) then
      return {'duplicate', r[1], r[2] or '', r[3]}
    end
  end
end
-- One read for the key's existence and figures (a key hash always has credits).
if not kv then kv = redis.call('HMGET', KEYS[1], 'credits', 'held') end
if not kv[1] then return {'unknown_key'} end
local amount = tonumber(ARGV[4])
local credits = tonumber(kv[1])
local held = tonumber(kv[2])
if credits - held < amount then return {'insufficient', num(credits - held)} end
held = held + amount
redis.call('HSET', KEYS[1], 'held', num(held))
redis.call('HSET', KEYS[2], ARGV[2], num(amount) .. ':' .. ARGV[3])
append(KEYS[3], KEYS[4], KEYS[5], ARGV[5], ARGV[3], 'hold', amount, ARGV[2], credits, held)
putTask(ARGV[1], ARGV[2], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[3], false)
if ARGV[11] ~= '' then
  redis.call('DEL', KEYS[6])
  redis.call('HSET', KEYS[6], 'fingerprint', ARGV[11], 'taskId', ARGV[2], 'createdAt', ARGV[5])
  redis.call('PEXPIRE', KEYS[6], ARGV[14])
end
if ARGV[15] ~= '' then
  redis.call('HSET', KEYS[9], ARGV[15], ARGV[17])
  redis.call('ZADD', KEYS[8], ARGV[16], ARGV[15])
  redis.call('HINCRBY', KEYS[10], ARGV[2], 1)
end
return {'created'}
end
local r = create()
local booked = nil
if r[1] == 'created' and ARGV[20] then
  booked = reserveJob({ KEYS[12], KEYS[13], KEYS[14], KEYS[15] }, { unpack(ARGV, 20, 32) })
end
if #admitted == 0 and not booked then return r end
for i = #r + 1, 4 do r[i] = '' end
r[5] = booked and booked[1] or ''
r[6] = booked and booked[2] or ''
for _, v in ipairs(admitted) do r[#r + 1] = v end
return r
`;

/** The scripts of a submit and of recovery: createTask, its resolution, stuck tasks, orphan holds, leases. */
export const TASK_SCRIPTS = {
  gwsimCreateTask: script(11, CREATE_TASK),
  gwsimCreateTaskBooked: script(15, CREATE_TASK),

  /**
   * Whether a createTask made the task (its record exists: Redis keeps every task until reset);
   * if not, mark it so a late one is refused. KEYS: created marker, task key. ARGV: marker GC ms.
   * Returns 1 (created) or 0 (never will be). A marker '1' is an older version's mark of a create.
   */
  gwsimResolveCreate: script(
    2,
    `
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('GET', KEYS[1]) == '1' then return 1 end
redis.call('SET', KEYS[1], '0', 'PX', ARGV[1])
return 0
`,
  ),

  /**
   * Unfinished, non-fixture tasks with no pending step, walking the status sets with a stored
   * SSCAN cursor (bounded work per call).
   * KEYS: IN_QUEUE set, IN_PROGRESS set, jobs-per-task hash, cursor hash. ARGV: prefix, count.
   */
  gwsimStuckTasks: script(
    4,
    `
local out = {}
for i = 1, 2 do
  local field = 'c' .. i
  local r = redis.call('SSCAN', KEYS[i], redis.call('HGET', KEYS[4], field) or '0', 'COUNT', ARGV[2])
  redis.call('HSET', KEYS[4], field, r[1])
  for _, id in ipairs(r[2]) do
    if not redis.call('HGET', KEYS[3], id) then
      local json = redis.call('GET', ARGV[1] .. 'task:' .. id)
      if json and not cjson.decode(json).fixture then out[#out + 1] = id end
    end
  end
end
return out
`,
  ),

  /**
   * Holds whose task has no record, walking the holds with a stored HSCAN cursor.
   * KEYS: holds hash, cursor hash. ARGV: prefix, count.
   */
  gwsimOrphanHolds: script(
    2,
    `
local r = redis.call('HSCAN', KEYS[1], redis.call('HGET', KEYS[2], 'holds') or '0', 'COUNT', ARGV[2])
redis.call('HSET', KEYS[2], 'holds', r[1])
local out = {}
for i = 1, #r[2], 2 do
  local id = r[2][i]
  if redis.call('EXISTS', ARGV[1] .. 'task:' .. id) == 0 then out[#out + 1] = id end
end
return out
`,
  ),

  /** Take or renew a lease. KEYS: the lease. ARGV: owner, ttl ms. Returns 1 when the owner holds it. */
  gwsimLease: script(
    1,
    `
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`,
  ),
} satisfies Record<string, ScriptDef>;
