import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, errors, GatewayError } from './errors.js';
import { isStoreUnavailable } from '../store/store-errors.js';
import { consoleLogger, type Logger } from '../log/logger.js';
import type { RequestPlace } from '../log/request-log.js';
import { clientRequestId } from '../net/request-ids.js';
import { endAtPassEnd } from '../net/answers-per-pass.js';

export const BODY_LIMIT = 1024 * 1024;

/**
 * What the edge knows of a request while it is answered: its id (the `X-Request-Id` it is
 * answered with), where it went (for its log line), and the logger its errors are told to.
 * The app's listener tags each request first (`tagRequest`), from the simulator's own id source.
 */
export interface RequestFacts extends RequestPlace {
  id: string;
  logger: Logger;
}

const FACTS = Symbol('gwsim.request');
type Tagged = IncomingMessage & { [FACTS]?: RequestFacts };

export function tagRequest(req: IncomingMessage, facts: RequestFacts): RequestFacts {
  (req as Tagged)[FACTS] = facts;
  return facts;
}

export const factsOf = (req: IncomingMessage): RequestFacts | undefined => (req as Tagged)[FACTS];

/** For a request that never passed the app's listener (none should), errors still reach stderr. */
const UNTAGGED_LOGGER = consoleLogger();

/** The id the request is answered with: its tag's, else the client's own, else a marker. */
export function requestId(req: IncomingMessage): string {
  return factsOf(req)?.id ?? clientRequestId(req) ?? 'req_untagged';
}

export type Headers = Record<string, string>;

/** Checks a response body before it is sent (tests validate every response against the spec). */
export type ResponseCheck = (status: number, body: unknown) => string | undefined;

/** The headers sendJson sets itself; a caller's own of the same name gives way (as a spread object's did). */
const OWN_HEADERS = new Set(['Content-Type', 'Content-Length', 'X-Request-Id']);

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
  sendJsonText(req, res, status, JSON.stringify(body), headers);
}

/** A JSON answer already serialized (`text`), with the headers sendJson sends. */
export function sendJsonText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  headers: Readonly<Headers>,
): void {
  // A flat [name, value, …] list: Node writes it as given, with no header object built and copied.
  const list: Array<string | number> = [];
  for (const name in headers) if (!OWN_HEADERS.has(name)) list.push(name, headers[name]!);
  list.push(
    'Content-Type',
    'application/json; charset=utf-8',
    'Content-Length',
    Buffer.byteLength(text),
    'X-Request-Id',
    requestId(req),
  );
  // The head is built now (an invalid header throws to the caller; headersSent turns true); the
  // bytes leave with the pass's other answers (answers-per-pass.ts).
  res.writeHead(status, list);
  endAtPassEnd(res, text);
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
  if (!(err instanceof GatewayError) && !isStoreUnavailable(err))
    (factsOf(req)?.logger ?? UNTAGGED_LOGGER).error({ err, req_id: requestId(req) }, 'internal error');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(req, res, e.status, e.body, { ...extra, ...e.headers }, check);
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Read and parse a JSON body: 415 unless it is sent as JSON (`application/json` or a `+json`
 * type) and uncompressed, 413 beyond `limit` bytes (checked on
 * Content-Length first, then while reading), 400 when it does not parse.
 */
export function readJson(req: IncomingMessage, limit = BODY_LIMIT): Promise<unknown> {
  const type = req.headers['content-type'];
  if (!type || !JSON_TYPE.test(type)) return Promise.reject(discard(req, errors.unsupportedMediaType(type)));
  // A compressed body is not inflated (RFC 9110 §15.5.16: 415 names the coding), never parsed as JSON.
  const coding = req.headers['content-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity')
    return Promise.reject(discard(req, errors.unsupportedEncoding(coding.slice(0, 100))));
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
