import {
  createServer,
  request as httpRequest,
  Agent as HttpAgent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import { HarWriter, type HarEntry } from './har-file.js';
import { entryOf, pairs, readBody, round, webhookEntry, type Times } from './har-entry.js';
import { createScrubber, type Scrubber } from './scrub.js';
import { httpOrigin, listenOn, WEBHOOK_LISTEN, type ListenFlags } from '../net/listen-on.js';

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

async function listen(server: Server, host: string, port: number, flags?: ListenFlags): Promise<string> {
  return httpOrigin(host, await listenOn(server, port, host, flags));
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
    write(webhookEntry({ req, base, body, started, t0, end: performance.now() }));
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
      webhookUrl = await listen(w, options.webhookListen.host, options.webhookListen.port, WEBHOOK_LISTEN);
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
