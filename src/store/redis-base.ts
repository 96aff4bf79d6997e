import type { Redis } from 'ioredis';
import { runScript } from './redis-eval.js';
import { SCRIPTS, type ScriptName } from './redis-scripts.js';
import { DEFAULT_PREFIX, isConnectionError, redactUrl } from './redis-connect.js';
import { StoreUnavailableError } from './store-errors.js';
import type { Authorized, HoldResult, KeyRecord, LedgerEntry, RateLimitPolicy } from './store.js';

/** Wall-clock expiry, beyond the simulated one, after which Redis collects claims and windows. */
export const GC_GRACE_MS = 60_000;
/** Ids read per MGET. */
const CHUNK = 500;

/** A finite number as Redis and the scripts take it (the scripts paste `at` into JSON as is). */
export function n(value: number, what: string): string {
  if (!Number.isFinite(value)) throw new TypeError(`${what} must be a finite number, got ${value}`);
  return String(value);
}

export const parseKey = (h: Record<string, string>): KeyRecord => ({
  key: h.key ?? '',
  credits: Number(h.credits),
  held: Number(h.held),
  webhookSecret: h.secret ?? '',
  rateLimit: { requests: Number(h.requests), window_s: Number(h.window_s) },
});

/** An HGETALL reply given as a flat [field, value, ...] list (what a script returns). */
export function pairs(flat: unknown[], from = 0): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = from; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}

export const asArray = (reply: unknown): unknown[] => (Array.isArray(reply) ? (reply as unknown[]) : []);

/**
 * The Redis store's plumbing (the connection, key names, scripts, error mapping), its keys and
 * its ledger; RedisStore adds the rest. Split only to keep files small.
 */
export abstract class RedisBase {
  readonly prefix: string;
  /** The ledger's list and counter, named once (the prefix is fixed). */
  private readonly ledgerKey: string;
  private readonly ledgerSeqKey: string;
  /** The URL (password redacted) for messages. */
  protected readonly label: string;
  private closed = false;

  constructor(
    protected readonly client: Redis,
    options: { prefix?: string; url?: string } = {},
  ) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.ledgerKey = this.k('ledger');
    this.ledgerSeqKey = this.k('ledger', 'seq');
    this.label = redactUrl(
      options.url ??
        `redis://${client.options.host ?? 'localhost'}:${client.options.port ?? 6379}/${client.options.db ?? 0}`,
    );
  }

  protected k(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** Runs one store operation, turning connection-level failures into StoreUnavailableError. */
  protected async op<T>(what: string, fn: () => Promise<T>): Promise<T> {
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

  protected script(name: ScriptName, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return runScript(this.client, SCRIPTS[name], keys, args);
  }

  /** MGET in chunks; null for missing keys. */
  protected async mget(keys: string[]): Promise<(string | null)[]> {
    const out: (string | null)[] = [];
    for (let i = 0; i < keys.length; i += CHUNK) out.push(...(await this.client.mget(keys.slice(i, i + CHUNK))));
    return out;
  }

  protected ledgerKeys(key: string): [string, string, string] {
    return [this.ledgerKey, this.ledgerSeqKey, this.k('ledger', 'key', key)];
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

  /** getKey and hitRateLimit under the key's own policy as one script (`gwsimAuthorize`). */
  authorize(key: string, now: number): Promise<Authorized | undefined> {
    return this.op('authorize', async () => {
      const reply = await this.script(
        'gwsimAuthorize',
        [this.k('key', key), this.k('rate', key)],
        [n(now, 'now'), String(GC_GRACE_MS)],
      );
      if (!Array.isArray(reply)) return undefined;
      const flat = reply as unknown[];
      return { window: { count: Number(flat[0]), resetAt: Number(flat[1]) }, key: parseKey(pairs(flat, 2)) };
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
