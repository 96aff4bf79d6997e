import {
  createServer,
  request as httpRequest,
  Agent as HttpAgent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { Header } from 'har-format';
import { StartupError } from '../startup-error.js';
import { HarWriter, type HarEntry } from './har-file.js';
import { createScrubber, type Scrubber } from './scrub.js';

export interface RecorderOptions {
  /** The gateway to forward to: an origin (`https://apiin.one`), optionally with a path prefix. */
  target: string;
  host: string;
  port: number;
  out: string;
  /** Patterns scrubbed besides the built-in secrets. */
  scrub?: RegExp[];
  /** Also listen here for webhook deliveries, and record each (answered 200). */
  webhookListen?: { host: string; port: number };
  creator: { name: string; version: string };
  /** Where forwarding failures are told (the client gets a 502). */
  onError?: (message: string) => void;
}

export interface Recorder {
  url: string;
  webhookUrl: string | undefined;
  /** Entries written so far. */
  readonly entries: number;
  /** Stop accepting, let exchanges in flight finish (up to `graceMs`), then complete the file. */
  close(graceMs?: number): Promise<void>;
}

// Hop-by-hop headers belong to one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** [name, value] pairs from Node's rawHeaders, in the order and case they were sent. */
function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

const harHeaders = (list: Array<[string, string]>): Header[] => list.map(([name, value]) => ({ name, value }));
const headerValue = (list: Array<[string, string]>, name: string): string | undefined =>
  list.find(([n]) => n.toLowerCase() === name)?.[1];

function readBody(stream: IncomingMessage): Promise<Buffer> {
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

interface Times {
  connect: number;
  sent: number;
  firstByte: number;
  serverIp?: string | undefined;
}

/** One forwarded exchange as a HAR entry (performance.now() times, `started` the wall clock). */
function entryOf(x: {
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

function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new StartupError(`cannot listen on ${host}:${port}: ${err.code ?? err.message}`)),
    );
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${bound}`);
    });
  });
}

/** The upstream URL for a request path: the target's prefix is not doubled when the client already sends it. */
export function upstreamUrl(target: URL, path: string): URL {
  const prefix = target.pathname.replace(/\/+$/, '');
  return new URL(prefix && !path.startsWith(`${prefix}/`) && path !== prefix ? prefix + path : path, target.origin);
}

/** A recording proxy: forwards every request unchanged, returns the answer unchanged, writes each exchange, scrubbed. */
export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  const target = new URL(options.target);
  const secure = target.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  const scrub: Scrubber = createScrubber(options.scrub);
  // Opened once both ports are bound: a busy port must not truncate an earlier recording.
  let writer: HarWriter | undefined;
  const inFlight = new Set<Promise<void>>();
  const write = (entry: HarEntry) => writer?.append(scrub(entry));

  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = new Date();
    const t0 = performance.now();
    const body = await readBody(req);
    const url = upstreamUrl(target, req.url ?? '/');
    const headers = pairs(req.rawHeaders).filter(
      ([n]) => !HOP_BY_HOP.has(n.toLowerCase()) && n.toLowerCase() !== 'host',
    );
    const times: Times = { connect: -1, sent: t0, firstByte: t0 };
    await new Promise<void>((resolve) => {
      const upstream = send(
        url,
        { method: req.method, agent, headers: [...headers.flat(), 'Host', url.host] },
        (up) => {
          times.firstByte = performance.now();
          times.serverIp = up.socket?.remoteAddress;
          const upHeaders = pairs(up.rawHeaders);
          res.writeHead(
            up.statusCode ?? 502,
            up.statusMessage,
            upHeaders.filter(([n]) => !HOP_BY_HOP.has(n.toLowerCase())).flat(),
          );
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => {
            chunks.push(c);
            res.write(c);
          });
          // The entry is written before the client has the end of its answer: once it has, the file has it too.
          up.once('end', () => {
            try {
              write(
                entryOf({
                  req,
                  url,
                  body,
                  started,
                  t0,
                  times,
                  up,
                  upHeaders,
                  raw: Buffer.concat(chunks),
                  end: performance.now(),
                }),
              );
            } catch (err) {
              // A failure here (a full disk) loses the entry, never the client's answer.
              options.onError?.(`${req.method} ${req.url}: not recorded: ${(err as Error).message}`);
            }
            res.end();
            resolve();
          });
          up.once('error', () => (res.destroy(), resolve()));
        },
      );
      upstream.once('socket', (socket) => {
        if (socket.connecting) {
          const c0 = performance.now();
          socket.once('connect', () => (times.connect = round(performance.now() - c0)));
        }
      });
      upstream.once('finish', () => (times.sent = performance.now()));
      upstream.once('error', (err: NodeJS.ErrnoException) => {
        const message = `cannot reach ${url.origin}: ${err.code ?? err.message}`;
        options.onError?.(`${req.method} ${req.url}: ${message}`);
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 502, message: `gwsim record: ${message}`, type: 'api_error' } }));
        } else res.destroy();
        resolve();
      });
      upstream.end(body);
    });
  };

  const hook = async (req: IncomingMessage, res: ServerResponse, base: string): Promise<void> => {
    const started = new Date();
    const t0 = performance.now();
    const body = await readBody(req);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    write({
      startedDateTime: started.toISOString(),
      time: round(performance.now() - t0),
      request: requestPart(req, new URL(req.url ?? '/', base), body),
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
    });
  };

  const proxy = createServer((req, res) =>
    track(
      forward(req, res).catch((err: unknown) =>
        options.onError?.(`${req.method} ${req.url}: ${(err as Error).message}`),
      ),
    ),
  );
  const url = await listen(proxy, options.host, options.port);
  let webhooks: Server | undefined;
  let webhookUrl: string | undefined;
  if (options.webhookListen) {
    const w = createServer((req, res) => track(hook(req, res, webhookUrl!).catch(() => void res.destroy())));
    webhooks = w;
    try {
      webhookUrl = await listen(w, options.webhookListen.host, options.webhookListen.port);
    } catch (err) {
      proxy.close();
      throw err;
    }
  }
  const file = new HarWriter(options.out, options.creator);
  writer = file;

  let closing: Promise<void> | undefined;
  return {
    url,
    webhookUrl,
    get entries() {
      return file.entries;
    },
    close: (graceMs = 5_000) =>
      (closing ??= (async () => {
        const servers = [proxy, ...(webhooks ? [webhooks] : [])];
        for (const s of servers) {
          s.close();
          s.closeIdleConnections();
        }
        await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, graceMs).unref())]);
        for (const s of servers) s.closeAllConnections();
        agent.destroy();
        file.close();
      })()),
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
