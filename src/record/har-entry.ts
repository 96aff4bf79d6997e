import type { IncomingMessage } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { Header } from 'har-format';
import type { HarEntry } from './har-file.js';

// How one exchange the recorder saw becomes a HAR entry: headers as sent, bodies decoded, timings.

/** [name, value] pairs from Node's rawHeaders, in the order and case they were sent. */
export function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

export const harHeaders = (list: Array<[string, string]>): Header[] => list.map(([name, value]) => ({ name, value }));
export const headerValue = (list: Array<[string, string]>, name: string): string | undefined =>
  list.find(([n]) => n.toLowerCase() === name)?.[1];

export function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

const isText = (mime: string) =>
  mime === '' || /^text\/|json|xml|javascript|x-www-form-urlencoded|event-stream/i.test(mime);

/** The body as HAR content: decoded from its Content-Encoding; text as is, anything else base64. */
function content(
  body: Buffer,
  mime: string,
  encoding: string | undefined,
): { size: number; mimeType: string; text?: string; encoding?: string } {
  let plain = body;
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') plain = gunzipSync(body);
    else if (encoding === 'deflate') plain = inflateSync(body);
    else if (encoding === 'br') plain = brotliDecompressSync(body);
  } catch {
    plain = body; // a body that does not decode is kept as sent
  }
  if (plain.length === 0) return { size: 0, mimeType: mime };
  return isText(mime)
    ? { size: plain.length, mimeType: mime, text: plain.toString('utf8') }
    : { size: plain.length, mimeType: mime, text: plain.toString('base64'), encoding: 'base64' };
}

function requestPart(req: IncomingMessage, url: URL, body: Buffer): HarEntry['request'] {
  const headers = pairs(req.rawHeaders);
  const mime = headerValue(headers, 'content-type') ?? '';
  return {
    method: req.method ?? 'GET',
    url: url.toString(),
    httpVersion: `HTTP/${req.httpVersion}`,
    cookies: [],
    headers: harHeaders(headers),
    queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
    ...(body.length > 0
      ? { postData: { mimeType: mime, text: isText(mime) ? body.toString('utf8') : body.toString('base64') } }
      : {}),
    headersSize: -1,
    bodySize: body.length,
  };
}

export interface Times {
  connect: number;
  sent: number;
  firstByte: number;
  serverIp?: string | undefined;
}

/** One forwarded exchange as a HAR entry (performance.now() times, `started` the wall clock). */
export function entryOf(x: {
  req: IncomingMessage;
  url: URL;
  body: Buffer;
  started: Date;
  t0: number;
  times: Times;
  up: IncomingMessage;
  upHeaders: Array<[string, string]>;
  raw: Buffer;
  end: number;
}): HarEntry {
  const { times, up, upHeaders, raw } = x;
  const c = content(
    raw,
    headerValue(upHeaders, 'content-type') ?? '',
    headerValue(upHeaders, 'content-encoding')?.toLowerCase(),
  );
  return {
    startedDateTime: x.started.toISOString(),
    time: round(x.end - x.t0),
    request: requestPart(x.req, new URL(x.req.url ?? '/', x.url), x.body),
    response: {
      status: up.statusCode ?? 0,
      statusText: up.statusMessage ?? '',
      httpVersion: `HTTP/${up.httpVersion}`,
      cookies: [],
      headers: harHeaders(upHeaders),
      content: { ...c, compression: c.size - raw.length },
      redirectURL: headerValue(upHeaders, 'location') ?? '',
      headersSize: -1,
      bodySize: raw.length,
    },
    cache: {},
    timings: {
      blocked: -1,
      dns: -1,
      connect: times.connect,
      ssl: -1,
      send: round(times.sent - x.t0),
      wait: round(times.firstByte - times.sent),
      receive: round(x.end - times.firstByte),
    },
    ...(times.serverIp ? { serverIPAddress: times.serverIp } : {}),
  };
}

/** A webhook delivery the recorder took (answered 200 `ok`), marked `_gwsim_kind: 'webhook'`. */
export function webhookEntry(x: {
  req: IncomingMessage;
  base: string;
  body: Buffer;
  started: Date;
  t0: number;
  end: number;
}): HarEntry {
  return {
    startedDateTime: x.started.toISOString(),
    time: round(x.end - x.t0),
    request: requestPart(x.req, new URL(x.req.url ?? '/', x.base), x.body),
    response: {
      status: 200,
      statusText: 'OK',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [{ name: 'content-type', value: 'text/plain' }],
      content: { size: 2, mimeType: 'text/plain', text: 'ok' },
      redirectURL: '',
      headersSize: -1,
      bodySize: 2,
    },
    cache: {},
    timings: { send: 0, wait: 0, receive: 0 },
    _gwsim_kind: 'webhook',
  };
}

export const round = (ms: number) => Math.round(ms * 1000) / 1000;
