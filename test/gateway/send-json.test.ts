import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendJson, type Headers } from '../../src/gateway/http.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** One answer of sendJson with these headers, as the client sees it (raw header pairs in order). */
async function answer(headers: Headers): Promise<{ raw: string[]; body: string; res: IncomingMessage }> {
  const listening = createServer((req, res) => sendJson(req, res, 201, { ok: 'ü' }, headers));
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  const { port } = listening.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', headers: { 'X-Request-Id': 'req_mine' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ raw: res.rawHeaders, body, res }));
    });
    req.on('error', reject);
    req.end();
  });
}

const names = (raw: string[]) => raw.filter((_, i) => i % 2 === 0);

describe('sendJson', () => {
  it("sends the caller's headers in order, then its own, with the body's byte length", async () => {
    const { raw, body, res } = await answer({
      'RateLimit-Policy': '5;w=60',
      RateLimit: 'limit=5, remaining=4, reset=60',
    });
    expect(res.statusCode).toBe(201);
    expect(body).toBe('{"ok":"ü"}');
    expect(names(raw).slice(0, 5)).toEqual([
      'RateLimit-Policy',
      'RateLimit',
      'Content-Type',
      'Content-Length',
      'X-Request-Id',
    ]);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(res.headers['x-request-id']).toBe('req_mine');
  });

  it("lets a caller's header of a name it sets itself give way, so each is sent once", async () => {
    const { raw, res } = await answer({ 'Content-Type': 'text/plain', 'X-Request-Id': 'other', Allow: 'GET' });
    expect(names(raw).filter((n) => n === 'Content-Type')).toHaveLength(1);
    expect(names(raw).filter((n) => n === 'X-Request-Id')).toHaveLength(1);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-request-id']).toBe('req_mine');
    expect(res.headers.allow).toBe('GET');
  });

  it('writes the answers made in one event-loop pass together, at its end; a client gone meanwhile is skipped', async () => {
    const waiting: Array<{ req: IncomingMessage; res: ServerResponse }> = [];
    const seen: Array<{ headersSent: boolean; ended: boolean; status: number }> = [];
    let endedAfterPass: boolean[] = [];
    const listening = createServer((req, res) => {
      if (waiting.push({ req, res }) < 3) return;
      // One synchronous block: three answers made in the same pass.
      waiting.forEach(({ req: q, res: r }, i) => sendJson(q, r, 200, { n: i }));
      for (const { res: r } of waiting)
        seen.push({ headersSent: r.headersSent, ended: r.writableEnded, status: r.statusCode });
      waiting[1]!.res.destroy();
      setImmediate(() => (endedAfterPass = waiting.map(({ res: r }) => r.writableEnded)));
    });
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const { port } = listening.address() as AddressInfo;
    const get = () =>
      new Promise<string>((resolve) => {
        const req = request({ port, host: '127.0.0.1' }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve(body));
          res.on('error', () => resolve('gone'));
        });
        req.on('error', () => resolve('gone'));
        req.end();
      });
    const first = get();
    await new Promise((r) => setTimeout(r, 50));
    const second = get();
    await new Promise((r) => setTimeout(r, 50));
    const bodies = await Promise.all([first, second, get()]);
    // The head is built at once (a later error sees headersSent), the bytes wait for the pass's end.
    expect(seen).toEqual(Array(3).fill({ headersSent: true, ended: false, status: 200 }));
    expect(endedAfterPass).toEqual([true, false, true]);
    expect(bodies).toEqual(['{"n":0}', 'gone', '{"n":2}']);
  });
});
