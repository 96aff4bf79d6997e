import { script, type ScriptDef } from './redis-lua.js';

/**
 * A fixed window's hit: a new window of `windowMs` from `now` once the last one ended. Returns
 * {count, resetAt}. Shared by gwsimHitRateLimit, gwsimAuthorize and gwsimCreateTask's admission.
 */
export const HIT = `
local function hit(rateKey, now, windowMs, gc)
  local r = redis.call('HMGET', rateKey, 'count', 'resetAt')
  if (not r[1]) or now >= tonumber(r[2]) then
    local resetAt = num(now + windowMs)
    redis.call('HSET', rateKey, 'count', '1', 'resetAt', resetAt)
    redis.call('PEXPIRE', rateKey, gc)
    return {'1', resetAt}
  end
  local count = redis.call('HINCRBY', rateKey, 'count', 1)
  return {tostring(count), r[2]}
end
`;

/** The scripts of records besides keys, ledger and tasks: claims, windows, deliveries, shared state (jobs: redis-job-scripts.ts). */
export const RECORD_SCRIPTS = {
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
    HIT +
      `
return hit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3])
`,
  ),

  /**
   * A request's key and its window counted under the key's own policy, in one step (so a request
   * is one round trip before its operation). KEYS: key hash, window hash. ARGV: now, GC grace ms
   * (the window's Redis expiry is twice the window plus this). Returns nil for an unknown key,
   * counting nothing; else {count, resetAt, HGETALL of the key...}.
   */
  gwsimAuthorize: script(
    2,
    HIT +
      `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return false end
local windowMs = 0
for i = 1, #h, 2 do
  if h[i] == 'window_s' then windowMs = tonumber(h[i + 1]) * 1000 end
end
local gc = string.format('%d', math.max(1, math.ceil(windowMs * 2 + tonumber(ARGV[2]))))
local w = hit(KEYS[2], tonumber(ARGV[1]), windowMs, gc)
table.insert(h, 1, w[2])
table.insert(h, 1, w[1])
return h
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
} satisfies Record<string, ScriptDef>;
