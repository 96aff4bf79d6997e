import type { Redis } from 'ioredis';
import type { BookedJob, BookRead, JobBook, Reservation, Span } from '../nodes/job-book.js';
import { runScript } from './redis-eval.js';
import { luaScript } from './redis-lua.js';
import { isConnectionError } from './redis-connect.js';
import { StoreUnavailableError } from './store-errors.js';

/**
 * A job's place in the queue at `now`, from its JSON: 1 = next to start, 0 = not waiting (a
 * fixture says by its state). `starts` is the starts ZSET; started jobs score at or before now.
 */
const PLACE = `
local function placeAt(starts, startAt, seq, id, now)
  if startAt and startAt <= now then return 0 end
  local rank = redis.call('ZRANK', starts, string.format('%015d', seq) .. ':' .. id)
  if not rank then return 0 end
  return rank - redis.call('ZCOUNT', starts, '-inf', now) + 1
end
local function place(starts, json, id, now)
  local job = cjson.decode(json)
  if job.fixed then return job.fixed == 'queued' and 1 or 0 end
  local startAt = job.startAt
  if startAt == cjson.null then startAt = nil end
  return placeAt(starts, startAt, job.seq, id, now)
end
`;

/**
 * The reservation, mirroring `earliestStart` and `timelineFrom` (src/nodes/job-book.ts) in Lua so
 * that checking the slots and taking one cannot interleave with another instance's submit.
 * K (keys): jobs (hash id → JSON), starts, finishes (ZSETs of `seq:id` by time; a start of inf = no
 * known start, and no finish), seq. The slots are implicit: the r-th latest finish frees a room of r. A (arguments): mode (new | replan), id, the record's JSON without its
 * timeline fields and closing brace, now, capacity, base run ms, failure rate, draw, error JSON,
 * rooms, latency, failure spans (JSON lists of [from, until|null, value]), and 'place' to answer
 * {record, place at now} (as READ) instead of the record alone.
 */
export const RESERVE_FN = `${PLACE}
local function inForce(s, t) return s[1] <= t and (s[2] == cjson.null or t < s[2]) end
local function reserveJob(K, A)
local mode, id, head, now, cap = A[1], A[2], A[3], tonumber(A[4]), tonumber(A[5])
local base, rate, draw, errJson = tonumber(A[6]), tonumber(A[7]), tonumber(A[8]), A[9]
local rooms, latency, fails = cjson.decode(A[10]), cjson.decode(A[11]), cjson.decode(A[12])
local function num(x) return string.format('%.17g', x) end
local known = redis.call('HGET', K[1], id)
local seq
if mode == 'new' then
  if known then
    if A[13] == 'place' then return { known, place(K[2], known, id, now) } end
    return known
  end
  redis.call('ZREMRANGEBYSCORE', K[2], '-inf', now)
  redis.call('ZREMRANGEBYSCORE', K[3], '-inf', now)
  seq = redis.call('INCR', K[4])
else
  if not known then return false end
  local job = cjson.decode(known)
  if job.fixed or job.startAt ~= cjson.null then return false end
  local first = redis.call('ZRANGEBYSCORE', K[2], 'inf', 'inf', 'LIMIT', 0, 1)[1]
  local member = string.format('%015d', job.seq) .. ':' .. id
  if first ~= member then return false end
  seq = job.seq
  redis.call('ZREM', K[2], member)
end
local member = string.format('%015d', seq) .. ':' .. id
local startAt = nil
-- FIFO: a new job waits behind any with no known start; a replanned one is the first of them.
if mode == 'replan' or redis.call('ZCOUNT', K[2], 'inf', 'inf') == 0 then
  local bounds = { now }
  for _, s in ipairs(rooms) do
    if s[1] >= now then bounds[#bounds + 1] = s[1] end
    if s[2] ~= cjson.null and s[2] >= now then bounds[#bounds + 1] = s[2] end
  end
  table.sort(bounds)
  for i, from in ipairs(bounds) do
    local untilT = bounds[i + 1] or math.huge
    local room = cap
    for _, s in ipairs(rooms) do if inForce(s, from) and s[3] < room then room = s[3] end end
    if room > 0 and from < untilT then
      local t = from
      local nth = redis.call('ZREVRANGE', K[3], room - 1, room - 1, 'WITHSCORES')[2]
      if nth and tonumber(nth) > t then t = tonumber(nth) end
      if t < untilT then startAt = t break end
    end
  end
end
local startJson, finishJson, errOut = 'null', 'null', 'null'
if startAt then
  local factor, p = 1, rate
  for _, s in ipairs(latency) do if inForce(s, startAt) then factor = factor * s[3] end end
  for _, s in ipairs(fails) do if inForce(s, startAt) then p = 1 - (1 - p) * (1 - s[3]) end end
  local x = base * factor
  local runMs = math.floor(x)
  if x - runMs >= 0.5 then runMs = runMs + 1 end
  local finishAt = startAt + runMs
  redis.call('ZADD', K[2], num(startAt), member)
  redis.call('ZADD', K[3], num(finishAt), member)
  startJson, finishJson = num(startAt), num(finishAt)
  if draw < p then errOut = errJson end
else
  redis.call('ZADD', K[2], 'inf', member)
end
local json = head .. ',"seq":' .. seq .. ',"startAt":' .. startJson .. ',"finishAt":' .. finishJson .. ',"error":' .. errOut .. '}'
redis.call('HSET', K[1], id, json)
if A[13] == 'place' then
  -- The record just built: its start and seq are at hand (no decode), unless it names a fixed state.
  if string.find(head, '"fixed":', 1, true) then return { json, place(K[2], json, id, now) } end
  return { json, placeAt(K[2], startAt, seq, id, now) }
end
return json
end
`;
const RESERVE = `${RESERVE_FN}
return reserveJob(KEYS, ARGV)
`;

/** KEYS: jobs, starts. ARGV: id, now. The record and, while it waits, its place (ZRANK less those started). */
const READ = `${PLACE}
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
return { json, place(KEYS[2], json, ARGV[1], tonumber(ARGV[2])) }
`;

/** A {record JSON, place} reply as a BookRead (a place of 0: not waiting, no position). */
export function readOf(reply: unknown[]): BookRead {
  const [json, position] = reply as [string, number];
  return { job: JSON.parse(json) as BookedJob, queuePosition: Number(position) > 0 ? Number(position) : null };
}

const SCRIPTS = { reserve: luaScript(4, RESERVE), read: luaScript(2, READ) };
const spans = (list: readonly Span[]) => JSON.stringify(list.map((s) => [s.from, s.until, s.value]));

/** A node's book keys under `<prefix>book:<node>:`, in reserveJob's order: jobs, starts, finishes, seq. */
export function bookKeys(prefix: string, node: string): [string, string, string, string] {
  const base = `${prefix}book:${node}:`;
  return [`${base}jobs`, `${base}starts`, `${base}finishes`, `${base}seq`];
}

/** reserveJob's arguments for `r` (see RESERVE_FN); `answer` 'place' asks for {record, place}. */
export function reserveArgs(mode: 'new' | 'replan', r: Reservation, answer: '' | 'place'): string[] {
  return [
    mode,
    r.job.id,
    JSON.stringify(r.job).slice(0, -1),
    String(r.now),
    String(r.capacity),
    String(r.baseRunMs),
    String(r.failure.rate),
    String(r.failure.draw),
    JSON.stringify(r.failure.error),
    spans(r.rooms),
    spans(r.latency),
    spans(r.failure.faults),
    answer,
  ];
}

/** One node's job book in Redis, under `<prefix>book:<node>:`, shared by every instance on the store. */
export class RedisJobBook implements JobBook {
  private readonly keys: { jobs: string; starts: string; finishes: string; seq: string };
  private readonly reserveKeys: string[];

  constructor(
    private readonly client: Redis,
    prefix: string,
    node: string,
  ) {
    const [jobs, starts, finishes, seq] = bookKeys(prefix, node);
    this.keys = { jobs, starts, finishes, seq };
    this.reserveKeys = [jobs, starts, finishes, seq];
  }

  private async call(name: keyof typeof SCRIPTS, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await runScript(this.client, SCRIPTS[name], keys, args);
    } catch (err) {
      // As the store's own operations: a Redis that is away is a 503 to the caller, not a crash.
      if (isConnectionError(err))
        throw new StoreUnavailableError(`the Redis job book is unavailable (${name}): ${err.message}`, { cause: err });
      throw err;
    }
  }

  private async run(mode: 'new' | 'replan', r: Reservation): Promise<BookedJob | undefined> {
    const reply = await this.reserveScript(mode, r, '');
    return typeof reply === 'string' ? (JSON.parse(reply) as BookedJob) : undefined;
  }

  private reserveScript(mode: 'new' | 'replan', r: Reservation, answer: '' | 'place'): Promise<unknown> {
    return this.call('reserve', this.reserveKeys, reserveArgs(mode, r, answer));
  }

  async reserve(r: Reservation): Promise<BookedJob> {
    const job = await this.run('new', r);
    if (!job) throw new Error(`the job book refused job ${r.job.id}`);
    return job;
  }

  /** reserve and read as one script: the read a submit makes for the queue position is answered with the booking. */
  async reserveRead(r: Reservation): Promise<BookRead> {
    const reply = await this.reserveScript('new', r, 'place');
    if (!Array.isArray(reply)) throw new Error(`the job book refused job ${r.job.id}`);
    return readOf(reply);
  }

  async replan(r: Reservation): Promise<BookedJob | undefined> {
    const job = await this.run('replan', r);
    return job && job.startAt !== null ? job : undefined;
  }

  async stalled(): Promise<BookedJob[]> {
    const members = await this.client.zrangebyscore(this.keys.starts, 'inf', 'inf');
    if (members.length === 0) return [];
    const ids = members.map((m) => m.slice(m.indexOf(':') + 1));
    const found = await this.client.hmget(this.keys.jobs, ...ids);
    return found.flatMap((json) => (json === null ? [] : [JSON.parse(json) as BookedJob]));
  }

  async putFixture(job: BookedJob): Promise<void> {
    await this.client.hset(this.keys.jobs, job.id, JSON.stringify(job));
  }

  async read(id: string, now: number): Promise<BookRead | undefined> {
    const reply = await this.call('read', [this.keys.jobs, this.keys.starts], [id, String(now)]);
    return Array.isArray(reply) ? readOf(reply) : undefined;
  }

  async counts(now: number): Promise<{ running: number; queued: number }> {
    const replies = await this.client
      .pipeline()
      .zcount(this.keys.starts, `(${now}`, '+inf')
      .zcount(this.keys.starts, 'inf', 'inf')
      .zcount(this.keys.finishes, `(${now}`, '+inf')
      .exec();
    const [queued = 0, stalled = 0, unfinished = 0] = (replies ?? []).map(([err, n]) => {
      if (err) throw err;
      return Number(n);
    });
    // A job with no known start has no finish: the rest of the queued are among the unfinished.
    return { running: unfinished - (queued - stalled), queued };
  }

  async reset(): Promise<void> {
    const { jobs, starts, finishes, seq } = this.keys;
    await this.client.del(jobs, starts, finishes, seq);
  }
}
