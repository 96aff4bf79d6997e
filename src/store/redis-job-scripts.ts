import { script, type ScriptDef } from './redis-lua.js';

/**
 * The helpers of the job scripts. Every job script takes KEYS: due zset, lease zset, job hash,
 * jobs-per-task hash; a job scheduled with a group (`ScheduledJob.group`) is also in the zset
 * P jobs:group:<group> while it waits unclaimed (named inside the script from the prefix), so
 * the group can be read and moved (`groupJobs`, `moveJobs`).
 */
const JOBS = `
-- A top-level string field of a job's JSON, read without decoding it. Unescaped, name":" can
-- only be a top-level member (inside a string, the payload's included, every quote is escaped),
-- and the job's own names end no other member's; a value with escapes is left to cjson.
local function field(json, name)
  local s, e = string.find(json, name .. '":"', 1, true)
  if not s or string.byte(json, s - 1) ~= 34 then return nil end
  local close = string.find(json, '"', e + 1, true)
  local v = string.sub(json, e + 1, close - 1)
  if not string.find(v, '\\\\', 1, true) then return v end
  v = cjson.decode(json)[name]
  if type(v) == 'string' then return v end
  return nil
end
local function groupKey(prefix, json)
  local g = json and field(json, 'group')
  if g then return prefix .. 'jobs:group:' .. g end
  return nil
end
-- \`old\`: the job's stored JSON, false if none (the caller read it); \`counted\`: the task whose
-- count the caller kept for this job (completeJob's, netted there), or nil.
local function storeJob(prefix, id, due, json, tid, old, counted)
  if old then
    local og = groupKey(prefix, old)
    if og then redis.call('ZREM', og, id) end
    -- Only a stored job can be leased (a claim needs its data; completeJob drops both).
    redis.call('ZREM', KEYS[2], id)
  elseif tid ~= '' and tid ~= counted then
    redis.call('HINCRBY', KEYS[4], tid, 1)
  end
  redis.call('HSET', KEYS[3], id, json)
  redis.call('ZADD', KEYS[1], due, id)
  local g = groupKey(prefix, json)
  if g then redis.call('ZADD', g, due, id) end
end
local function scheduleJob(prefix, id, due, json, tid)
  storeJob(prefix, id, due, json, tid, redis.call('HGET', KEYS[3], id), nil)
end
-- \`keep\`: a new job (not yet stored) of the same task follows this one, so the task's count of
-- pending steps stays as it is (no decrement here, no increment in scheduleJob). Returns the
-- task id whose count was kept, or nil.
local function completeJob(prefix, id, keep)
  local data = redis.call('HGET', KEYS[3], id)
  local kept = nil
  if data then
    local tid = field(data, 'taskId')
    if tid then
      if keep == tid then
        kept = keep
      elseif redis.call('HINCRBY', KEYS[4], tid, -1) <= 0 then
        redis.call('HDEL', KEYS[4], tid)
      end
    end
    local g = groupKey(prefix, data)
    if g then redis.call('ZREM', g, id) end
  end
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  return kept
end
`;

const jobScript = (body: string): ScriptDef => script(4, JOBS + body);

/** The scripts of the stored steps (jobs). */
export const JOB_SCRIPTS = {
  /** Add or move a job (clearing any lease); a new one counts for its task. ARGV: prefix, id, due, JSON, task id or ''. */
  gwsimScheduleJob: jobScript(`
scheduleJob(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return 1
`),

  /**
   * Claim due jobs. Expired leases go back to the due set first (their instance died), then up
   * to `limit` jobs due at or before now are taken in (due, id) order, leased, and leave their
   * group. ARGV: now, limit (-1: no limit), lease until, prefix. Returns the claimed jobs' JSON.
   */
  gwsimClaimDueJobs: jobScript(`
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
    local g = groupKey(ARGV[4], data)
    if g then redis.call('ZREM', g, id) end
    out[#out + 1] = data
  end
end
return out
`),

  /**
   * Forget a job (and its count for its task), and schedule the jobs that follow it, in one step.
   * ARGV: prefix, id, count of next jobs, then per next job: id, due, JSON, task id or ''; then,
   * optionally, a task to store (as `taskArgs` lays it out), as gwsimPutTask would.
   */
  gwsimCompleteJob: jobScript(`
local count = tonumber(ARGV[3])
-- The usual step: a first successor of the same task, not yet stored, takes over the completed
-- job's count of pending steps (no decrement and increment: two commands fewer).
local first, keep = false, nil
if count >= 1 and ARGV[4] ~= ARGV[2] then
  first = redis.call('HGET', KEYS[3], ARGV[4])
  if not first and ARGV[7] ~= '' then keep = ARGV[7] end
end
local kept = completeJob(ARGV[1], ARGV[2], keep)
for i = 0, count - 1 do
  local a = 4 + i * 4
  if i == 0 and ARGV[a] ~= ARGV[2] then
    storeJob(ARGV[1], ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], first, kept)
  else
    scheduleJob(ARGV[1], ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
  end
end
local t = 4 + count * 4
if ARGV[t] then putLiveTask(ARGV[1], ARGV[t], ARGV[t + 1], ARGV[t + 2], ARGV[t + 3], ARGV[t + 4], ARGV[t + 5]) end
return 1
`),

  /** Extend the leases of jobs still leased (GT: never shortened). ARGV: until, then the ids. */
  gwsimRenewJobs: jobScript(`
for a = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[2], ARGV[a]) then redis.call('ZADD', KEYS[2], 'GT', ARGV[1], ARGV[a]) end
end
return 1
`),

  /** The group's waiting jobs' JSON, earliest due first. ARGV: prefix, group. */
  gwsimGroupJobs: jobScript(`
local ids = redis.call('ZRANGE', ARGV[1] .. 'jobs:group:' .. ARGV[2], 0, -1)
local out = {}
for _, id in ipairs(ids) do
  local data = redis.call('HGET', KEYS[3], id)
  if data then out[#out + 1] = data end
end
return out
`),

  /**
   * Move jobs that still wait unclaimed at the due they were read with. ARGV: prefix, then per
   * job: id, the due it was read with, new due, new JSON. Returns how many moved.
   */
  gwsimMoveJobs: jobScript(`
local moved = 0
for a = 2, #ARGV - 3, 4 do
  local id = ARGV[a]
  local score = redis.call('ZSCORE', KEYS[1], id)
  if score and tonumber(score) == tonumber(ARGV[a + 1]) and redis.call('HEXISTS', KEYS[3], id) == 1 then
    scheduleJob(ARGV[1], id, ARGV[a + 2], ARGV[a + 3], '')
    moved = moved + 1
  end
end
return moved
`),
} satisfies Record<string, ScriptDef>;
