import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { TaskRecord } from '../gateway/task.js';
import { StartupError } from '../startup-error.js';
import { SCRIPTS, type ScriptName } from './redis-scripts.js';
import { StoreUnavailableError } from './store-errors.js';
import type {
  DeliveryRecord,
  HoldResult,
  IdempotencyRecord,
  KeyRecord,
  LedgerEntry,
  RateLimitPolicy,
  RateWindow,
  ScheduledJob,
  SharedSnapshot,
  Store,
  TaskFilter,
  TaskPage,
} from './store.js';

export interface RedisStoreOptions {
  /** Prepended to every Redis key this store touches; reset() deletes only keys under it. */
  prefix?: string;
  /** How long the first connect may take before start-up fails. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** A command with no answer by then rejects with StoreUnavailableError. Default 1500 ms. */
  commandTimeoutMs?: number;
  /** Connection errors while running (the store reconnects on its own); ignored by default. */
  onError?: (err: Error) => void;
}

export const DEFAULT_PREFIX = 'gwsim:';

/** Wall-clock expiry, beyond the simulated one, after which Redis collects claims and windows. */
const GC_GRACE_MS = 60_000;
/** Ids read per MGET. */
const CHUNK = 500;

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** A finite number as Redis and the scripts take it (the scripts paste `at` into JSON as is). */
function n(value: number, what: string): string {
  if (!Number.isFinite(value)) throw new TypeError(`${what} must be a finite number, got ${value}`);
  return String(value);
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
/** Replies meaning "this Redis cannot serve now", not "this command is wrong". */
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;

/** Whether an error from ioredis is about the connection rather than the command. */
function isConnectionError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  if (err.name === 'ReplyError') return UNAVAILABLE_REPLIES.test(err.message);
  if (err.name === 'MaxRetriesPerRequestError' || err.name === 'AbortError') return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return (
    err.message === 'Connection is closed.' ||
    err.message === 'Command timed out' ||
    err.message.startsWith("Stream isn't writeable") ||
    err.message.startsWith('Command aborted due to connection close')
  );
}

const parseKey = (h: Record<string, string>): KeyRecord => ({
  key: h.key ?? '',
  credits: Number(h.credits),
  held: Number(h.held),
  webhookSecret: h.secret ?? '',
  rateLimit: { requests: Number(h.requests), window_s: Number(h.window_s) },
});

/** An HGETALL reply given as a flat [field, value, ...] list (what a script returns). */
function pairs(flat: unknown[], from = 0): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = from; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

const asArray = (reply: unknown): unknown[] => (Array.isArray(reply) ? (reply as unknown[]) : []);

/**
 * The store on Redis, shared by every gwsim instance that points at the same Redis and prefix.
 * Every multi-step change is one Lua script; records are JSON (tasks, deliveries, jobs, ledger
 * entries) or hashes (keys, idempotency claims, rate windows), so reads are copies by nature.
 *
 * Layout under the prefix P:
 *   P key:<key> (hash), P keys (zset, creation order), P holds (hash task → "amount:key"),
 *   P ledger / P ledger:key:<key> (lists of JSON entries), P ledger:seq (counter),
 *   P task:<id> (JSON), P tasks:meta (hash id → [status, model, key]), P tasks:{status,model,key}:<v> (sets),
 *   P idem:<scope> (hash), P rate:<key> (hash),
 *   P delivery:<id> (JSON), P deliveries (list of ids), P deliveries:task:<task> (list of ids),
 *   P jobs:due / P jobs:lease (zsets), P jobs:data (hash id → JSON).
 *
 * Connection-level failures reject with StoreUnavailableError, quickly: no offline queue, no
 * retry of a command whose connection dropped, a command timeout. ioredis reconnects by itself.
 */
export class RedisStore implements Store {
  readonly prefix: string;
  /** The URL (password redacted) for messages. */
  private readonly label: string;
  private closed = false;

  constructor(
    private readonly client: Redis,
    options: { prefix?: string; url?: string } = {},
  ) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.label = redactUrl(
      options.url ??
        `redis://${client.options.host ?? 'localhost'}:${client.options.port ?? 6379}/${client.options.db ?? 0}`,
    );
    for (const [name, def] of Object.entries(SCRIPTS)) client.defineCommand(name, def);
  }

  /**
   * Connect to `url` (redis://[user:pass@]HOST:PORT/DB, or rediss:// for TLS). Fails within about
   * connectTimeoutMs with a StartupError naming the URL when Redis cannot be reached; once
   * connected, reconnects forever with a backoff of up to a second.
   */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const shown = redactUrl(url);
    const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    let everReady = false;
    /** The first error before the first ready: the root cause (later ones are consequences). */
    let startError: Error | undefined;
    let db = 0;
    let client: Redis;
    try {
      const parsed = new URL(url);
      const path = /^\/?(\d*)$/.exec(parsed.pathname);
      if (!path) throw new Error(`the path '${parsed.pathname}' is not /DB (a database number)`);
      db = path[1] ? Number(path[1]) : 0;
      client = new Redis(url, {
        lazyConnect: true,
        connectTimeout: connectTimeoutMs,
        commandTimeout: options.commandTimeoutMs ?? 1500,
        // A command fails at once when the connection is down or drops under it: no offline
        // queue, no re-sending (a re-sent hold could apply twice).
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        // No retrying before the first connect: start-up fails fast instead.
        retryStrategy: (times) => (everReady ? Math.min(times * 100, 1000) : null),
      });
    } catch (err) {
      throw new StartupError(
        `--store ${shown}: not a usable Redis URL (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    client.on('error', (err: Error) => {
      if (everReady) options.onError?.(err);
      else startError ??= err;
    });
    client.on('ready', () => {
      everReady = true;
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${connectTimeoutMs} ms`)),
            connectTimeoutMs + 500,
          );
        }),
      ]);
      // ioredis only reports a failed SELECT as an 'error' event and carries on in db 0: check it.
      if (db !== 0) await client.select(db);
    } catch (err) {
      client.disconnect();
      if (err instanceof Error && err.name === 'ReplyError')
        throw new StartupError(`cannot use Redis at ${shown}: ${err.message}`);
      const cause = startError ?? (err instanceof Error ? err : new Error(String(err)));
      const why = cause.message || (cause as { code?: string }).code || 'connection failed';
      throw new StartupError(`cannot connect to Redis at ${shown}: ${why} (is redis-server running there?)`);
    } finally {
      clearTimeout(timer);
    }
    return new RedisStore(client, { prefix: options.prefix ?? DEFAULT_PREFIX, url });
  }

  private k(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** Runs one store operation, turning connection-level failures into StoreUnavailableError. */
  private async op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isConnectionError(err))
        throw new StoreUnavailableError(`Redis store at ${this.label} is unavailable (${what}): ${err.message}`, {
          cause: err,
        });
      throw err;
    }
  }

  private script(name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
    const fn = (this.client as unknown as Record<string, ScriptFn | undefined>)[name];
    if (!fn) throw new Error(`script ${name} is not defined`);
    return fn.call(this.client, ...keys, ...args);
  }

  /** MGET in chunks; null for missing keys. */
  private async mget(keys: string[]): Promise<(string | null)[]> {
    const out: (string | null)[] = [];
    for (let i = 0; i < keys.length; i += CHUNK) out.push(...(await this.client.mget(keys.slice(i, i + CHUNK))));
    return out;
  }

  private ledgerKeys(key: string): [string, string, string] {
    return [this.k('ledger'), this.k('ledger', 'seq'), this.k('ledger', 'key', key)];
  }

  createKey(
    key: string,
    credits: number,
    webhookSecret: string,
    rateLimit: RateLimitPolicy,
    at: number,
  ): Promise<KeyRecord> {
    return this.op('createKey', async () => {
      const [ledger, seq, keyLedger] = this.ledgerKeys(key);
      const reply = await this.script(
        'gwsimCreateKey',
        [this.k('key', key), this.k('keys'), ledger, seq, keyLedger],
        [
          key,
          n(credits, 'credits'),
          webhookSecret,
          n(rateLimit.requests, 'rateLimit.requests'),
          n(rateLimit.window_s, 'rateLimit.window_s'),
          n(at, 'at'),
        ],
      );
      return parseKey(pairs(asArray(reply)));
    });
  }

  getKey(key: string): Promise<KeyRecord | undefined> {
    return this.op('getKey', async () => {
      const h = await this.client.hgetall(this.k('key', key));
      return h.key === undefined ? undefined : parseKey(h);
    });
  }

  listKeys(): Promise<KeyRecord[]> {
    return this.op('listKeys', async () => {
      const names = await this.client.zrange(this.k('keys'), 0, -1);
      const hashes = await Promise.all(names.map((name) => this.client.hgetall(this.k('key', name))));
      return hashes.filter((h) => h.key !== undefined).map(parseKey);
    });
  }

  topUp(key: string, amount: number, at: number): Promise<KeyRecord | undefined> {
    return this.op('topUp', async () => {
      const [ledger, seq, keyLedger] = this.ledgerKeys(key);
      const reply = await this.script(
        'gwsimTopUp',
        [this.k('key', key), ledger, seq, keyLedger],
        [key, n(amount, 'amount'), n(at, 'at')],
      );
      return reply === null ? undefined : parseKey(pairs(asArray(reply)));
    });
  }

  hold(key: string, taskId: string, amount: number, at: number): Promise<HoldResult> {
    return this.op('hold', async () => {
      const [ledger, seq, keyLedger] = this.ledgerKeys(key);
      const reply = asArray(
        await this.script(
          'gwsimHold',
          [this.k('key', key), this.k('holds'), ledger, seq, keyLedger],
          [key, taskId, n(amount, 'amount'), n(at, 'at')],
        ),
      );
      const status = String(reply[0]);
      if (status === 'ok') return { ok: true, record: parseKey(pairs(reply, 1)) };
      return {
        ok: false,
        reason: status === 'unknown_key' ? 'unknown_key' : 'insufficient',
        available: Number(reply[1]),
      };
    });
  }

  settle(taskId: string, outcome: 'capture' | 'release', at: number): Promise<boolean> {
    return this.op('settle', async () => {
      const reply = await this.script(
        'gwsimSettle',
        [this.k('holds'), this.k('ledger'), this.k('ledger', 'seq')],
        [this.prefix, taskId, outcome, n(at, 'at')],
      );
      return Number(reply) === 1;
    });
  }

  ledger(key?: string): Promise<LedgerEntry[]> {
    return this.op('ledger', async () => {
      const list = key === undefined ? this.k('ledger') : this.k('ledger', 'key', key);
      return (await this.client.lrange(list, 0, -1)).map((e) => JSON.parse(e) as LedgerEntry);
    });
  }

  putTask(task: TaskRecord): Promise<void> {
    return this.op('putTask', async () => {
      await this.script(
        'gwsimPutTask',
        [this.k('task', task.id), this.k('tasks', 'meta')],
        [
          this.prefix,
          task.id,
          JSON.stringify(task),
          JSON.stringify([task.status, task.model, task.key]),
          task.status,
          task.model,
          task.key,
        ],
      );
    });
  }

  finishTask(done: TaskRecord, outcome: 'capture' | 'release', at: number): Promise<boolean> {
    return this.op('finishTask', async () => {
      const reply = await this.script(
        'gwsimFinishTask',
        [this.k('task', done.id), this.k('tasks', 'meta')],
        [
          this.prefix,
          done.id,
          outcome,
          n(at, 'at'),
          JSON.stringify(done),
          JSON.stringify([done.status, done.model, done.key]),
          done.status,
          done.model,
          done.key,
        ],
      );
      return Number(reply) === 1;
    });
  }

  getTask(id: string): Promise<TaskRecord | undefined> {
    return this.op('getTask', async () => {
      const json = await this.client.get(this.k('task', id));
      return json === null ? undefined : (JSON.parse(json) as TaskRecord);
    });
  }

  /** Filtered through set indexes; ordered by creation time, then id. */
  listTasks(filter: TaskFilter): Promise<TaskRecord[]> {
    return this.op('listTasks', async () => {
      const sets: string[] = [];
      if (filter.status !== undefined) sets.push(this.k('tasks', 'status', filter.status));
      if (filter.model !== undefined) sets.push(this.k('tasks', 'model', filter.model));
      if (filter.key !== undefined) sets.push(this.k('tasks', 'key', filter.key));
      const ids =
        sets.length === 0 ? await this.client.hkeys(this.k('tasks', 'meta')) : await this.client.sinter(...sets);
      const tasks: TaskRecord[] = [];
      for (const json of await this.mget(ids.map((id) => this.k('task', id))))
        if (json !== null) tasks.push(JSON.parse(json) as TaskRecord);
      return tasks.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  /** The cursor is an offset from the newest; there is no ordering index, so each page reads every matching task. */
  async pageTasks(filter: TaskFilter, limit: number, cursor?: string): Promise<TaskPage | undefined> {
    const from = cursor === undefined ? 0 : /^\d{1,15}$/.test(cursor) ? Number(cursor) : NaN;
    if (!(from >= 0)) return undefined;
    const all = (await this.listTasks(filter)).reverse();
    if (from > all.length) return undefined;
    const tasks = all.slice(from, from + limit);
    return { tasks, total: all.length, next: from + limit < all.length ? String(from + limit) : null };
  }

  claimIdempotency(
    scope: string,
    fingerprint: string,
    at: number,
    ttlMs: number,
    pendingTtlMs: number = ttlMs,
  ): Promise<IdempotencyRecord | undefined> {
    return this.op('claimIdempotency', async () => {
      const gc = Math.max(1, Math.ceil(ttlMs * 2 + GC_GRACE_MS));
      const reply = await this.script(
        'gwsimClaimIdempotency',
        [this.k('idem', scope)],
        [fingerprint, n(at, 'at'), n(ttlMs, 'ttlMs'), String(gc), n(pendingTtlMs, 'pendingTtlMs')],
      );
      if (reply === null) return undefined;
      const [fp, taskId, createdAt] = asArray(reply);
      return {
        fingerprint: String(fp),
        taskId: taskId === null || taskId === undefined ? null : String(taskId),
        createdAt: Number(createdAt),
      };
    });
  }

  bindIdempotency(scope: string, taskId: string): Promise<void> {
    return this.op('bindIdempotency', async () => {
      await this.script('gwsimBindIdempotency', [this.k('idem', scope)], [taskId]);
    });
  }

  dropIdempotency(scope: string): Promise<void> {
    return this.op('dropIdempotency', async () => {
      await this.client.del(this.k('idem', scope));
    });
  }

  putDelivery(delivery: DeliveryRecord): Promise<void> {
    return this.op('putDelivery', async () => {
      await this.script(
        'gwsimPutDelivery',
        [this.k('delivery', delivery.id), this.k('deliveries'), this.k('deliveries', 'task', delivery.task_id)],
        [delivery.id, JSON.stringify(delivery)],
      );
    });
  }

  getDelivery(id: string): Promise<DeliveryRecord | undefined> {
    return this.op('getDelivery', async () => {
      const json = await this.client.get(this.k('delivery', id));
      return json === null ? undefined : (JSON.parse(json) as DeliveryRecord);
    });
  }

  listDeliveries(taskId?: string): Promise<DeliveryRecord[]> {
    return this.op('listDeliveries', async () => {
      const list = taskId === undefined ? this.k('deliveries') : this.k('deliveries', 'task', taskId);
      const ids = await this.client.lrange(list, 0, -1);
      const out: DeliveryRecord[] = [];
      for (const json of await this.mget(ids.map((id) => this.k('delivery', id)))) {
        if (json === null) continue;
        const d = JSON.parse(json) as DeliveryRecord;
        if (taskId === undefined || d.task_id === taskId) out.push(d);
      }
      return out;
    });
  }

  private jobKeys(): [string, string, string] {
    return [this.k('jobs', 'due'), this.k('jobs', 'lease'), this.k('jobs', 'data')];
  }

  scheduleJob(job: ScheduledJob): Promise<void> {
    return this.op('scheduleJob', async () => {
      const copy: ScheduledJob = { id: job.id, due: job.due, kind: job.kind, payload: job.payload };
      await this.script('gwsimScheduleJob', this.jobKeys(), [job.id, n(job.due, 'job.due'), JSON.stringify(copy)]);
    });
  }

  claimDueJobs(now: number, limit: number, leaseMs: number): Promise<ScheduledJob[]> {
    return this.op('claimDueJobs', async () => {
      const max = limit === Infinity ? -1 : Math.max(0, Math.trunc(limit));
      const reply = await this.script('gwsimClaimDueJobs', this.jobKeys(), [
        n(now, 'now'),
        String(max),
        n(now + leaseMs, 'now + leaseMs'),
      ]);
      return asArray(reply).map((json) => JSON.parse(String(json)) as ScheduledJob);
    });
  }

  completeJob(id: string): Promise<void> {
    return this.op('completeJob', async () => {
      await this.script('gwsimCompleteJob', this.jobKeys(), [id]);
    });
  }

  pendingJobs(): Promise<number> {
    return this.op('pendingJobs', () => this.client.hlen(this.k('jobs', 'data')));
  }

  hitRateLimit(key: string, policy: RateLimitPolicy, now: number): Promise<RateWindow> {
    return this.op('hitRateLimit', async () => {
      const windowMs = policy.window_s * 1000;
      const gc = Math.max(1, Math.ceil(windowMs * 2 + GC_GRACE_MS));
      const [count, resetAt] = asArray(
        await this.script(
          'gwsimHitRateLimit',
          [this.k('rate', key)],
          [n(now, 'now'), n(windowMs, 'window'), String(gc)],
        ),
      );
      return { count: Number(count), resetAt: Number(resetAt) };
    });
  }

  putShared(kind: string, id: string, json: string | null): Promise<void> {
    return this.op('putShared', async () => {
      await this.script('gwsimPutShared', [this.k('shared', kind), this.k('shared', kind, 'v')], [id, json ?? '']);
    });
  }

  readShared(kind: string, since: number): Promise<SharedSnapshot | undefined> {
    return this.op('readShared', async () => {
      const reply = await this.script(
        'gwsimReadShared',
        [this.k('shared', kind), this.k('shared', kind, 'v')],
        [String(since)],
      );
      if (reply === null) return undefined;
      const flat = asArray(reply);
      return { version: Number(flat[0]), entries: pairs(flat, 1) };
    });
  }

  generation(): Promise<string> {
    return this.op('generation', async () =>
      String(await this.script('gwsimGeneration', [this.k('generation')], [randomUUID()])),
    );
  }

  /** Deletes every key under this store's prefix (SCAN + UNLINK), nothing else. */
  reset(): Promise<void> {
    return this.op('reset', async () => {
      const match = this.prefix.replace(/[*?[\]\\]/g, '\\$&') + '*';
      let cursor = '0';
      do {
        const [next, keys] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await this.client.unlink(...keys);
      } while (cursor !== '0');
    });
  }

  /** Quits the connection (or drops it, if Redis is not there to say goodbye to). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through: drop it
      }
    }
    this.client.disconnect();
  }
}
