import { Redis } from 'ioredis';
import { StartupError } from '../startup-error.js';

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
export function isConnectionError(err: unknown): err is Error {
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

/**
 * Connect to `url` (redis://[user:pass@]HOST:PORT/DB, or rediss:// for TLS). Fails within about
 * connectTimeoutMs with a StartupError naming the URL when Redis cannot be reached; once
 * connected, reconnects forever with a backoff of up to a second.
 */
export async function connectClient(url: string, options: RedisStoreOptions = {}): Promise<Redis> {
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
      // No auto-pipelining: a batch of a tick's commands is answered all at once, after Redis ran
      // every one, so gwsim and Redis took turns idling (Redis submits, 32 connections: 3,750-4,050
      // req/s batched, 5,080-5,330 not). A tick's (or a pass's) commands still leave in one write: redis-cork.ts.
      enableAutoPipelining: false,
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
        timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeoutMs} ms`)), connectTimeoutMs + 500);
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
  return client;
}
