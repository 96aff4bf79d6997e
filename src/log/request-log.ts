import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './logger.js';

/** Which API a request line is about. */
export type Api = 'public' | 'admin' | 'node';

/** Where a request went, as known once it has been answered. */
export interface RequestPlace {
  /** The spec's operationId (the public API). */
  operation?: string | undefined;
  /** The route's template (`/api/v1/tasks/{task_id}`, `/_sim/keys/:key`); none when no route matched. */
  route?: string | undefined;
}

/**
 * A credential as logs may show it: its prefix (`aio_`, `sk-`) and, when it is long enough that
 * most of it stays hidden (16 characters or more), its last 4: `aio_…wxyz`. Never the whole.
 */
export function maskKey(key: string): string {
  const prefix = /^[A-Za-z]{1,5}[_-]/.exec(key)?.[0] ?? '';
  return key.length >= 16 ? `${prefix}…${key.slice(-4)}` : `${prefix}…`;
}

/** The credential an `Authorization` header sends (Bearer or not), masked; undefined when none is sent. */
export function maskedCredential(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return maskKey(header.replace(/^\s*Bearer\s+/i, '').trim());
}

// A path no route matched is logged as sent, but keys in it (`/_sim/keys/aio_…/x`) are masked.
const KEYS_IN_PATH = /aio_[A-Za-z0-9_-]+/g;
const maskedPath = (url: string | undefined): string =>
  (url ?? '/').split('?')[0]!.slice(0, 200).replace(KEYS_IN_PATH, maskKey);

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/** Starts timing a request and, once its response is done (or the connection drops), logs one line. */
export type RequestLog = (req: IncomingMessage, res: ServerResponse, id: string) => void;

/**
 * One line per request at `level` (`msg: "request"`): `req_id`, `api`, `method`, `operation` and
 * `route` (or `path` when no route matched), `status`, `latency_ms` (wall time from the request to
 * the end of its answer), `key` (the credential sent, masked), `aborted` when the answer was cut
 * off. Undefined when `level` is off, so a quiet server does no work per request.
 */
export function requestLog(
  logger: Logger,
  level: 'info' | 'debug',
  apiOf: (req: IncomingMessage) => Api,
  placeOf: (req: IncomingMessage) => RequestPlace,
): RequestLog | undefined {
  if (!logger.isLevelEnabled(level)) return undefined;
  return (req, res, id) => {
    const started = performance.now();
    // Read now: a router mounted on a prefix rewrites req.url while it handles the request.
    const { url, method } = req;
    const api = apiOf(req);
    res.once('close', () => {
      const { operation, route } = placeOf(req);
      const key = maskedCredential(req.headers.authorization);
      logger[level](
        {
          req_id: id,
          api,
          method,
          ...(operation ? { operation } : {}),
          ...(route ? { route } : { path: maskedPath(url) }),
          status: res.statusCode,
          latency_ms: round2(performance.now() - started),
          ...(key ? { key } : {}),
          ...(res.writableFinished ? {} : { aborted: true }),
        },
        'request',
      );
    });
  };
}
