import { afterEach, describe, expect, it } from 'vitest';
import { consoleLogger } from '../../src/log/logger.js';
import { maskedCredential, maskKey } from '../../src/log/request-log.js';
import { startTestSim, type TestSim } from '../helpers/sim.js';
import { linesMatching, memoryLogger } from '../helpers/memory-log.js';

const LONG_KEY = 'aio_requestlogtestkey_wxyz';
const isRequest = (l: Record<string, unknown>) => l.msg === 'request';

let sim: TestSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('request lines', () => {
  it('one per request on the public API: id, operation, route, status, latency, the key masked', async () => {
    const { logger, lines, text } = memoryLogger('info');
    sim = await startTestSim({ logger });
    expect((await sim.admin_('POST', '/keys', { key: LONG_KEY, credits: 10 })).status).toBe(201);
    const credits = await sim.call('GET', '/api/v1/credits', { key: LONG_KEY });
    expect(credits.status).toBe(200);
    const missing = await sim.call('GET', '/api/v1/tasks/nope', { key: LONG_KEY });
    expect(missing.status).toBe(404);
    const [create, read, unknown] = await linesMatching(lines, 3, isRequest);

    expect(create).toMatchObject({ level: 30, api: 'admin', method: 'POST', route: '/_sim/keys', status: 201 });
    expect(create).not.toHaveProperty('key'); // no Authorization was sent
    expect(read).toMatchObject({
      level: 30,
      msg: 'request',
      req_id: credits.headers.get('x-request-id'),
      api: 'public',
      method: 'GET',
      operation: 'getCredits',
      route: '/api/v1/credits',
      status: 200,
      key: 'aio_…wxyz',
    });
    expect(typeof read!.latency_ms).toBe('number');
    expect(read!.latency_ms).toBeGreaterThanOrEqual(0);
    expect(unknown).toMatchObject({ operation: 'getTask', route: '/api/v1/tasks/{task_id}', status: 404 });
    expect(unknown!.req_id).toBe(missing.headers.get('x-request-id'));
    expect(text()).not.toContain(LONG_KEY);
  });

  it('on the admin API and for paths no route has: the route template, or the path with keys masked', async () => {
    const { logger, lines, text } = memoryLogger('info');
    sim = await startTestSim({ logger });
    await sim.admin_('POST', '/keys', { key: LONG_KEY, credits: 10 });
    expect((await sim.admin_('GET', `/keys/${LONG_KEY}`)).status).toBe(200);
    expect((await sim.call('GET', `/nowhere/${LONG_KEY}`, { key: null })).status).toBe(404);
    expect((await sim.call('DELETE', '/api/v1/models')).status).toBe(405);
    const [, keyRead, nowhere, wrongMethod] = await linesMatching(lines, 4, isRequest);
    expect(keyRead).toMatchObject({ api: 'admin', method: 'GET', route: '/_sim/keys/:key', status: 200 });
    expect(nowhere).toMatchObject({ api: 'public', path: '/nowhere/aio_…wxyz', status: 404 });
    expect(nowhere).not.toHaveProperty('route');
    expect(wrongMethod).toMatchObject({ method: 'DELETE', route: '/api/v1/models', status: 405, key: 'aio_…' });
    expect(text()).not.toContain(LONG_KEY);
  });

  it('keeps a sane X-Request-Id the client sent, in the answer and the line', async () => {
    const { logger, lines } = memoryLogger('info');
    sim = await startTestSim({ logger });
    const res = await sim.call('GET', '/api/v1/models', { headers: { 'x-request-id': 'client-abc.1' } });
    expect(res.headers.get('x-request-id')).toBe('client-abc.1');
    const [line] = await linesMatching(lines, 1, isRequest);
    expect(line).toMatchObject({ req_id: 'client-abc.1', operation: 'listModels' });
  });

  it('none below info: at warn (the library default) nothing is logged for requests', async () => {
    const told: unknown[][] = [];
    sim = await startTestSim({ logger: consoleLogger('warn', (...parts) => told.push(parts)) });
    expect((await sim.call('GET', '/api/v1/models')).status).toBe(200);
    expect((await sim.call('GET', '/api/v1/tasks/nope')).status).toBe(404);
    await sim.close(); // every response is done: a line would have been written by now
    sim = undefined;
    expect(told).toEqual([]);
  });

  it('the console logger at info writes each as `gwsim: request` and its fields', async () => {
    const told: unknown[][] = [];
    sim = await startTestSim({ logger: consoleLogger('info', (...parts) => told.push(parts)) });
    const res = await sim.call('GET', '/api/v1/models');
    await sim.close();
    sim = undefined;
    expect(told).toHaveLength(1);
    expect(told[0]![0]).toBe('gwsim: request');
    expect(JSON.parse(told[0]![1] as string)).toMatchObject({
      req_id: res.headers.get('x-request-id'),
      operation: 'listModels',
      status: 200,
      key: 'aio_…',
    });
  });
});

describe('maskKey', () => {
  it.each([
    ['aio_dev_key', 'aio_…'],
    ['aio_0123456789abcdefghijklmn', 'aio_…klmn'],
    ['sk-0123456789abcdefABCD', 'sk-…ABCD'],
    ['tok', '…'],
    ['0123456789abcdef', '…cdef'],
    ['', '…'],
  ])('%s → %s', (key, masked) => expect(maskKey(key)).toBe(masked));

  it('masks the credential of any Authorization header, Bearer or not', () => {
    expect(maskedCredential('Bearer aio_0123456789abcdefghijklmn')).toBe('aio_…klmn');
    expect(maskedCredential('bearer   aio_0123456789abcdefghijklmn  ')).toBe('aio_…klmn');
    expect(maskedCredential('aio_0123456789abcdefghijklmn')).toBe('aio_…klmn');
    expect(maskedCredential('Basic dXNlcjpwYXNzd29yZA==')).toBe('…ZA==');
    expect(maskedCredential(undefined)).toBeUndefined();
  });
});
