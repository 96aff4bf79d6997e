import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, errors, GatewayError } from './errors.js';
import { isStoreUnavailable } from '../store/store-errors.js';

export const BODY_LIMIT = 1024 * 1024;

// Request ids: a per-process random prefix and a counter; unique and cheap on the hot path.
const ID_PREFIX = `req_${randomBytes(4).toString('hex')}`;
let idCounter = 0;
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `X-Request-Id` when it is sane, else a fresh one. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_ID.test(given) ? given : `${ID_PREFIX}${(++idCounter).toString(36)}`;
}

export type Headers = Record<string, string>;

/** Checks a response body before it is sent (tests validate every response against the spec). */
export type ResponseCheck = (status: number, body: unknown) => string | undefined;

export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Headers = {},
  check?: ResponseCheck,
): void {
  const problem = check?.(status, body);
  if (problem) {
    status = 500;
    body = errorBody(500, `gwsim bug: response does not match the spec: ${problem}`, 'api_error');
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Request-Id': requestId(req),
  });
  res.end(text);
}

/** The one place errors become the error body; anything not a GatewayError is a 500 (and a bug). */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  extra: Headers = {},
  check?: ResponseCheck,
): void {
  const e =
    err instanceof GatewayError
      ? err
      : isStoreUnavailable(err)
        ? errors.unavailable('The gateway cannot reach its store right now; retry shortly')
        : errors.internal();
  if (!(err instanceof GatewayError) && !isStoreUnavailable(err)) console.error('gwsim: internal error:', err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(req, res, e.status, e.body, { ...extra, ...e.headers }, check);
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Read and parse a JSON body: 415 unless it is sent as JSON, 413 beyond `limit` bytes (checked on
 * Content-Length first, then while reading), 400 when it does not parse.
 */
export function readJson(req: IncomingMessage, limit = BODY_LIMIT): Promise<unknown> {
  const type = req.headers['content-type'];
  if (!type || !JSON_TYPE.test(type)) return Promise.reject(discard(req, errors.unsupportedMediaType(type)));
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(discard(req, errors.payloadTooLarge(limit)));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(errors.payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return reject(errors.malformedJson('the body is empty'));
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(errors.malformedJson((err as Error).message));
      }
    });
    req.on('error', (err) => reject(err));
  });
}

/** Drain an unread body so the connection stays usable, then hand back the error to answer. */
function discard(req: IncomingMessage, err: GatewayError): GatewayError {
  req.resume();
  return err;
}
