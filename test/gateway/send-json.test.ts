import { createServer, request, type IncomingMessage, type Server } from 'node:http';
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
});
