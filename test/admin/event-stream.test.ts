import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { frame, openEventStream, type EventStream, type EventStreamOptions } from '../../src/admin/event-stream.js';
import { openSse } from '../helpers/sse.js';

describe('frame', () => {
  it('writes event, id and one data line per line of the JSON, then a blank line', () => {
    expect(frame('tasks', { a: 1 }, '7')).toBe('event: tasks\nid: 7\ndata: {"a":1}\n\n');
    expect(frame('x', 'two\nlines')).toBe('event: x\ndata: "two\\nlines"\n\n');
    expect(frame('x', undefined)).toBe('event: x\ndata: null\n\n');
  });

  it('refuses a line break in the event name or id (it would forge fields)', () => {
    expect(() => frame('a\ndata: 1', {})).toThrow(/line break/);
    expect(() => frame('a', {}, '1\r2')).toThrow(/line break/);
  });
});

describe('openEventStream', () => {
  let server: Server | undefined;
  let opened: EventStream[] = [];
  afterEach(async () => {
    for (const s of opened) s.close();
    opened = [];
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r) ?? r(undefined));
    server = undefined;
  });

  async function serve(options: EventStreamOptions, onOpen: (s: EventStream) => void = () => {}): Promise<string> {
    server = createServer((req, res) => {
      const s = openEventStream(req, res, options);
      opened.push(s);
      onOpen(s);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('sends the SSE headers, a retry hint, events, and heartbeats while quiet', async () => {
    const url = await serve({ heartbeatMs: 20, retryMs: 1500 }, (s) => s.send('hello', { n: 1 }, '1'));
    const client = await openSse(url);
    expect(client.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(client.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect((await client.next((e) => e.event === 'hello')).data).toEqual({ n: 1 });
    for (let i = 0; i < 100 && client.comments.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(client.comments.slice(0, 2)).toEqual(['ping', 'ping']);
    client.close();
  });

  it('tells its listeners once when the client goes, and sends nothing after', async () => {
    let closes = 0;
    const url = await serve({}, (s) => s.onClose(() => closes++));
    const client = await openSse(url);
    for (let i = 0; i < 100 && opened.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    client.close();
    for (let i = 0; i < 200 && closes === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(closes).toBe(1);
    expect(opened[0]!.closed).toBe(true);
    expect(opened[0]!.send('late', {})).toBe(false);
    opened[0]!.close();
    expect(closes).toBe(1);
    // A listener added after the end is told at once.
    opened[0]!.onClose(() => closes++);
    expect(closes).toBe(2);
  });

  it('ends the response on close(), which the client sees as the end of the stream', async () => {
    const url = await serve({});
    const client = await openSse(url);
    for (let i = 0; i < 100 && opened.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    opened[0]!.close();
    await client.ended;
  });

  it('drops a client that stops reading instead of buffering for it without bound', async () => {
    const url = new URL(await serve({ maxBufferedBytes: 64 * 1024 }));
    const socket = connect(Number(url.port), '127.0.0.1');
    socket.write(`GET / HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
    socket.pause();
    for (let i = 0; i < 100 && opened.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const big = 'x'.repeat(256 * 1024);
    let sent = 0;
    for (; sent < 400 && opened[0]!.send('big', big); sent++) await new Promise((r) => setImmediate(r));
    expect(opened[0]!.closed).toBe(true);
    expect(sent).toBeLessThan(400);
    socket.destroy();
  });
});
