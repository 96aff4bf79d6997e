import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, in arrival order. */
export interface Received {
  /** 0-based arrival index. */
  seq: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received (bytes as utf8). */
  body: string;
}

/** How the receiver answers one request: a status with headers and a body, or `hold` (never answer). */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hold';

export interface Receiver {
  /** `http://127.0.0.1:PORT/hook` */
  url: string;
  received: Received[];
  /** Answers for the next requests, in order; when they run out, `fallback` answers. */
  script(...answers: Answer[]): void;
  fallback: Answer;
  /** Resolve once at least `n` requests have arrived (bounded by `ms` of real time). */
  waitFor(n: number, ms?: number): Promise<void>;
  /** Answer every held request now (with 200), so nothing dangles. */
  release(): void;
  close(): Promise<void>;
}

/** A real node:http server on 127.0.0.1:0 that records every request and answers per its script. */
export async function startReceiver(fallback: Answer = { status: 200, body: 'ok' }): Promise<Receiver> {
  const received: Received[] = [];
  const queue: Answer[] = [];
  const held: ServerResponse[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const receiver: Receiver = {
    url: '',
    received,
    fallback,
    script: (...answers) => void queue.push(...answers),
    waitFor: (n, ms = 2_000) =>
      received.length >= n
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`receiver: ${received.length} requests after ${ms} ms, wanted ${n}`)),
              ms,
            );
            waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
          }),
    release: () => {
      for (const res of held.splice(0)) if (!res.writableEnded) res.writeHead(200).end('released');
    },
    close: async () => {
      receiver.release();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        seq: received.length,
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      for (const w of waiters.filter((x) => received.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const answer = queue.shift() ?? receiver.fallback;
      if (answer === 'hold') {
        held.push(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? `status ${answer.status}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}
