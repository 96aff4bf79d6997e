import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../helpers/receiver.js';
import { DEV, ERROR_TYPES, SEED_IMAGEN, snapshot, startTestSim, type ErrorBody, type TestSim } from '../helpers/sim.js';
import { finish, submitWithCallback } from '../webhooks/util.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Every admin route, with the methods it takes. */
const ROUTES: Array<[string, string[]]> = [
  ['/_sim/reset', ['POST']],
  ['/_sim/clock', ['GET', 'HEAD']],
  ['/_sim/clock/advance', ['POST']],
  ['/_sim/keys', ['POST']],
  [`/_sim/keys/${DEV}`, ['GET', 'HEAD']],
  [`/_sim/keys/${DEV}/credits`, ['POST']],
  ['/_sim/tasks', ['GET', 'HEAD', 'POST']],
  ['/_sim/ledger', ['GET', 'HEAD']],
  ['/_sim/webhooks', ['GET', 'HEAD']],
  ['/_sim/webhooks/msg_x/redeliver', ['POST']],
  ['/_sim/faults', ['POST', 'GET', 'HEAD', 'DELETE']],
  ['/_sim/faults/f_x', ['DELETE']],
  ['/_sim/metrics', ['GET', 'HEAD']],
  ['/_sim/catalog', ['GET', 'HEAD']],
];
/** The dashboard's routes: the page is served without the token, its data needs it. */
const DASHBOARD: Array<[string, string[]]> = [
  ['/_sim/ui', ['GET', 'HEAD']],
  ['/_sim/ui/tasks', ['GET', 'HEAD']],
  ['/_sim/ui/tasks/n47nope_imagen4', ['GET', 'HEAD']],
  ['/_sim/events', ['GET', 'HEAD']],
];
const BODY = JSON.stringify({ ms: 60_000, key: 'aio_sneaky', credits: 5, add: 5, target: 'node47', kind: 'outage' });

async function send(sim: TestSim, method: string, path: string, headers: Record<string, string> = {}) {
  const withBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
  const res = await fetch(sim.url + path, {
    method,
    headers: { ...(withBody ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(withBody ? { body: BODY } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    allow: res.headers.get('allow'),
    body: method === 'HEAD' || text === '' ? undefined : (JSON.parse(text) as ErrorBody),
  };
}

/** The status in the docs' error shape (HEAD answers carry no body). */
function expectError(reply: Awaited<ReturnType<typeof send>>, status: number, what: string): void {
  expect(reply.status, what).toBe(status);
  if (reply.body !== undefined)
    expect(reply.body, what).toEqual({
      error: { code: status, message: expect.any(String), type: ERROR_TYPES[status] },
    });
}

describe('the admin token, checked first on every method of every route', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ adminToken: 'tok-0123456789' });
  });
  afterAll(() => sim.close());

  it('without it, or with a wrong one of any length: 401 whatever the method or path, OPTIONS included, and nothing changed', async () => {
    const before = await snapshot(sim);
    const clock = sim.clock.now();
    const wrong: Record<string, string>[] = [
      {},
      { authorization: 'Bearer ' },
      { authorization: 'Bearer tok' },
      { authorization: 'Bearer tok-01234567890' },
      { authorization: 'Bearer TOK-0123456789' },
      { authorization: 'tok-0123456789' },
      { authorization: `Bearer ${'x'.repeat(5000)}` },
    ];
    for (const [path] of [
      ...ROUTES,
      ...DASHBOARD,
      ['/_sim/nope', []] as [string, string[]],
      ['/_sim', []] as [string, string[]],
    ]) {
      // The dashboard page itself holds no state and is served to anyone (it asks for the token).
      // One path's requests at once: some 400 requests one by one outlast the test's timeout on a busy machine.
      const methods = METHODS.filter((m) => path !== '/_sim/ui' || (m !== 'GET' && m !== 'HEAD'));
      const replies = await Promise.all(
        methods.flatMap((method) =>
          wrong.map(async (headers) => [method, headers, await send(sim, method, path, headers)] as const),
        ),
      );
      for (const [method, headers, reply] of replies)
        expectError(reply, 401, `${method} ${path} ${JSON.stringify(headers).slice(0, 60)}`);
    }
    expect(await snapshot(sim)).toEqual(before);
    expect(sim.clock.now()).toBe(clock);
    expect(sim.admin.listFaults()).toEqual([]);
  });

  it('with it, a known route answers any other method with 405, Allow and the error shape; an unknown one is 404', async () => {
    const auth = { authorization: 'Bearer tok-0123456789' };
    const before = await snapshot(sim);
    for (const [path, methods] of [...ROUTES, ...DASHBOARD]) {
      for (const method of METHODS.filter((m) => !methods.includes(m))) {
        const reply = await send(sim, method, path, auth);
        expectError(reply, 405, `${method} ${path}`);
        expect(reply.allow?.split(', ').sort(), `${method} ${path}`).toEqual([...methods].sort());
      }
    }
    expect(await snapshot(sim)).toEqual(before);
    expectError(await send(sim, 'GET', '/_sim/nope', auth), 404, 'GET /_sim/nope');
    expect((await send(sim, 'GET', '/_sim/clock', auth)).status).toBe(200);
    expect((await send(sim, 'HEAD', '/_sim/metrics', auth)).status).toBe(200);
  });
});

describe('webhook deliveries never reach the admin API', () => {
  let open: TestSim;
  beforeAll(async () => {
    open = await startTestSim({ config: { models: { 'imagen-4': { failure_rate: 0 } } } });
  });
  afterAll(() => open.close());

  it('a request with the Standard Webhooks headers or the deliverer User-Agent is 403, even on open loopback, and changes nothing', async () => {
    const before = await snapshot(open);
    const marks: Record<string, string>[] = [
      { 'webhook-id': 'msg_1' },
      { 'webhook-signature': 'v1,abc' },
      { 'webhook-timestamp': '1' },
      { 'user-agent': 'gwsim-webhooks' },
    ];
    for (const headers of marks) {
      for (const [path, methods] of ROUTES)
        expectError(
          await send(open, methods[0]!, path, headers),
          403,
          `${methods[0]} ${path} ${JSON.stringify(headers)}`,
        );
    }
    expect(await snapshot(open)).toEqual(before);
  });

  it('a real delivery carries no admin token, and replayed at /_sim/reset it is refused', async () => {
    const sim = await startTestSim({
      adminToken: 'tok-0123456789',
      config: { models: { 'imagen-4': { failure_rate: 0 } } },
    });
    const rx = await startReceiver();
    try {
      const task = await submitWithCallback(sim, rx.url, SEED_IMAGEN);
      await finish(sim, task.task_id);
      await rx.waitFor(1);
      const got = rx.received[0]!;
      expect(got.headers.authorization).toBeUndefined();
      expect(JSON.stringify(got.headers)).not.toContain('tok-0123456789');
      expect(got.headers['user-agent']).toBe('gwsim-webhooks');

      // The delivery's own request, sent to the admin API of an open simulator: refused.
      const before = await snapshot(open);
      const headers = Object.fromEntries(
        Object.entries(got.headers).filter(
          ([k]) => k.startsWith('webhook-') || k === 'user-agent' || k === 'content-type',
        ),
      ) as Record<string, string>;
      const res = await fetch(`${open.url}/_sim/reset`, { method: 'POST', headers, body: got.body });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({
        error: { code: 403, message: 'The admin API does not take webhook deliveries', type: 'authentication_error' },
      });
      expect(await snapshot(open)).toEqual(before);
    } finally {
      await rx.close();
      await sim.close();
    }
  });
});
