import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient, RunAborted } from '../../src/load/gateway-client.js';

// A stand-in gateway on a loopback port: what the client sends, and replies it must read off the wire.
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
const seen: Seen[] = [];
let server: Server;
let origin = '';

const task = { task_id: 'n1_t1', status: 'IN_QUEUE' };
const image = Buffer.alloc(70_000, 7); // more than one chunk on loopback

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      if (req.url === '/api/v1/images/generations') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 200, data: task }));
      } else if (req.url === '/api/v1/tasks/busy') {
        // Header names are case-insensitive: the client must find this one in undici's raw list.
        res.writeHead(429, { 'RETRY-AFTER': '7', 'X-Retry-After-Not': '1' }).end('{"code":429}');
      } else if (req.url === '/api/v1/tasks/twice') {
        res.setHeader('Retry-After', ['3', '9']);
        res.writeHead(503).end('not json');
      } else if (req.url === '/img.png') {
        res.writeHead(200, { 'Content-Type': 'image/png' }).end(image);
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () => new GatewayClient({ target: origin, key: 'aio_k', connections: 2, requestTimeoutMs: 5_000 });

describe('the load generator’s HTTP client', () => {
  it('submits the body with the key and JSON headers, and reads the task from the envelope', async () => {
    const c = client();
    try {
      const reply = await c.submit('{"model":"imagen4","prompt":"x"}');
      expect(reply).toEqual({ status: 200, task });
      const req = seen.at(-1)!;
      expect([req.method, req.url, req.body]).toEqual([
        'POST',
        '/api/v1/images/generations',
        '{"model":"imagen4","prompt":"x"}',
      ]);
      expect(req.headers.authorization).toBe('Bearer aio_k');
      expect(req.headers['content-type']).toBe('application/json');
    } finally {
      await c.close();
    }
  });

  it('reads Retry-After whatever its case, the first of several, and no task from a non-JSON body', async () => {
    const c = client();
    try {
      expect(await c.poll('busy')).toEqual({ status: 429, retryAfterMs: 7_000 });
      expect(await c.poll('twice')).toEqual({ status: 503, retryAfterMs: 3_000 });
      expect(await c.poll('missing')).toEqual({ status: 404 });
    } finally {
      await c.close();
    }
  });

  it('counts a download’s bytes across chunks, and turns a refused connection into status 0', async () => {
    const c = client();
    try {
      expect(await c.download(`${origin}/img.png`)).toEqual({ status: 200, bytes: image.length });
      const refused = await c.download('http://127.0.0.1:9/img.png');
      expect(refused.status).toBe(0);
      expect(refused.error).toBe('ECONNREFUSED');
    } finally {
      await c.close();
    }
  });

  it('throws RunAborted for every call once aborted', async () => {
    const c = client();
    c.abort();
    await expect(c.submit('{}')).rejects.toBeInstanceOf(RunAborted);
    await expect(c.poll('busy')).rejects.toBeInstanceOf(RunAborted);
    await expect(c.download(`${origin}/img.png`)).rejects.toBeInstanceOf(RunAborted);
    expect(await c.balance()).toBeNull();
  });
});
