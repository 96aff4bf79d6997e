import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import type { Fault } from '../../src/nodes/faults.js';
import {
  DEV,
  drain,
  SEED_IMAGEN,
  leftBy,
  snapshot,
  startTestSim,
  type Envelope,
  type ErrorBody,
  type TestSim,
} from '../helpers/sim.js';

let sim: TestSim;
afterEach(() => sim?.close());

const list = async (s: TestSim = sim) => {
  const res = await s.admin_<Fault[]>('GET', '/faults');
  expect(res.status).toBe(200);
  return res.body;
};

describe('/_sim/faults', () => {
  it('POST → 201 with the fault; GET lists; DELETE /{id} removes one; DELETE clears; an unknown id → 404', async () => {
    sim = await startTestSim();
    expect(await list()).toEqual([]);
    const now = sim.clock.now();

    const a = await sim.admin_<Fault>('POST', '/faults', { target: 'node47', kind: 'outage' });
    expect(a.status).toBe(201);
    expect(a.body).toEqual({
      id: expect.any(String),
      target: 'node47',
      kind: 'outage',
      value: null,
      starts_at: now,
      ends_at: null,
    });
    const b = await sim.admin_<Fault>('POST', '/faults', {
      target: 'model:imagen-4',
      kind: 'latency_multiplier',
      value: 2.5,
      duration_ms: 60_000,
    });
    expect(b.status).toBe(201);
    expect(b.body).toMatchObject({
      target: 'model:imagen-4',
      kind: 'latency_multiplier',
      value: 2.5,
      starts_at: now,
      ends_at: now + 60_000,
    });
    const c = await sim.admin_<Fault>('POST', '/faults', {
      target: 'node48',
      kind: 'error_rate',
      value: 0.5,
      start_ms: 1000,
    });
    expect(c.body).toMatchObject({ starts_at: now + 1000, ends_at: null });
    const d = await sim.admin_<Fault>('POST', '/faults', { target: 'node49', kind: 'timeout' });
    expect(new Set([a, b, c, d].map((r) => r.body.id)).size).toBe(4);
    expect(await list()).toEqual([a.body, b.body, c.body, d.body]);

    const removed = await sim.admin_('DELETE', `/faults/${a.body.id}`);
    expect(removed).toMatchObject({ status: 200, body: { removed: a.body.id } });
    expect(await list()).toEqual([b.body, c.body, d.body]);

    const again = await sim.admin_<ErrorBody>('DELETE', `/faults/${a.body.id}`);
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ error: { code: 404, type: 'not_found_error' } });
    expect(again.body.error.message).toContain(a.body.id);
    expect((await sim.admin_('DELETE', '/faults/flt_nope')).status).toBe(404);

    const cleared = await sim.admin_('DELETE', '/faults');
    expect(cleared).toMatchObject({ status: 200, body: { removed: 3 } });
    expect(await list()).toEqual([]);
  });

  const BAD: Array<[string, unknown, string]> = [
    ['an unknown node', { target: 'node99', kind: 'outage' }, 'target'],
    ['an unknown model', { target: 'model:nope', kind: 'outage' }, 'target'],
    ['no target', { kind: 'outage' }, 'target'],
    ['a target that is no string', { target: 47, kind: 'outage' }, 'target'],
    ['an unknown kind', { target: 'node47', kind: 'meltdown' }, 'kind'],
    ['no kind', { target: 'node47' }, 'kind'],
    ['error_rate without a value', { target: 'node47', kind: 'error_rate' }, 'value'],
    ['error_rate of 2', { target: 'node47', kind: 'error_rate', value: 2 }, 'value'],
    ['error_rate of -0.1', { target: 'node47', kind: 'error_rate', value: -0.1 }, 'value'],
    ['latency_multiplier 0', { target: 'node47', kind: 'latency_multiplier', value: 0 }, 'value'],
    ['latency_multiplier as a string', { target: 'node47', kind: 'latency_multiplier', value: '2' }, 'value'],
    ['a value that is no number', { target: 'node47', kind: 'outage', value: 'x' }, 'value'],
    ['a negative duration', { target: 'node47', kind: 'outage', duration_ms: -1 }, 'duration_ms'],
    ['a fractional duration', { target: 'node47', kind: 'outage', duration_ms: 1.5 }, 'duration_ms'],
    ['a duration as a string', { target: 'node47', kind: 'outage', duration_ms: '1000' }, 'duration_ms'],
    ['a negative start', { target: 'node47', kind: 'outage', start_ms: -5 }, 'start_ms'],
    ['an extra field', { target: 'node47', kind: 'outage', severity: 'high' }, 'severity'],
    ['a capacity fault without a value', { target: 'node47', kind: 'capacity' }, 'value'],
    ['a capacity of -1', { target: 'node47', kind: 'capacity', value: -1 }, 'value'],
    ['a capacity of 1.5', { target: 'node47', kind: 'capacity', value: 1.5 }, 'value'],
    [
      'a capacity fault on a model (nodes have capacity)',
      { target: 'model:imagen4', kind: 'capacity', value: 1 },
      'kind',
    ],
    ['an array body', [{ target: 'node47', kind: 'outage' }], '(body)'],
    ['a string body', 'outage', '(body)'],
    ['a null body', null, '(body)'],
  ];

  describe('bad requests', () => {
    let shared: TestSim;
    beforeAll(async () => {
      shared = await startTestSim();
      // One fault in place, so "no fault created" is checked against a non-empty list.
      expect((await shared.admin_('POST', '/faults', { target: 'node41', kind: 'timeout' })).status).toBe(201);
    });
    afterAll(() => shared.close());

    it.each(BAD)('%s → 400 naming the field, no fault created', async (_what, body, field) => {
      const before = await list(shared);
      expect(before).toHaveLength(1);
      const res = await shared.call<ErrorBody>('POST', '/_sim/faults', {
        key: null,
        raw: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 400, type: 'invalid_request_error' } });
      expect(res.body.error.message).toContain(`'${field}'`);
      expect(await list(shared)).toEqual(before);
    });
  });

  it('malformed JSON → 400, no fault created', async () => {
    sim = await startTestSim();
    const res = await sim.call<ErrorBody>('POST', '/_sim/faults', {
      key: null,
      raw: '{"target": "node47",',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 400, type: 'invalid_request_error' } });
    expect(await list()).toEqual([]);
  });

  it('a fault with duration_ms ends on the manual clock, and is in force until then', async () => {
    sim = await startTestSim({
      config: {
        models: { 'imagen-4': { failure_rate: 0 } },
        routing: { max_attempts: 1, circuit: { threshold: 100 } },
      },
    });
    const fault = await sim.admin_<Fault>('POST', '/faults', { target: 'node47', kind: 'outage', duration_ms: 10_000 });
    const during = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    await sim.clock.advance(9_999);
    expect(await list()).toEqual([fault.body]);
    expect(
      (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${during.body.data.task_id}`)).body.data.status,
    ).toBe('FAILED');
    await sim.clock.advance(1);
    expect(await list()).toEqual([]);
    const after = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    await drain(sim);
    expect(
      (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${after.body.data.task_id}`)).body.data.status,
    ).toBe('COMPLETED');
  });
});

describe('timed fault scenarios from the config', () => {
  const scenario = { target: 'node47', kind: 'outage' as const, start_ms: 30_000, duration_ms: 60_000 };

  it('node47 down from t=30 s for 60 s: a task at t≈0 completes, one at t=40 s fails with its credits released, one after t=90 s completes', async () => {
    sim = await startTestSim({
      config: {
        faults: [scenario],
        models: { 'imagen-4': { failure_rate: 0, latency_ms: { p5: 3000, p95: 8000 } } },
        routing: { circuit: { threshold: 1000 } },
      },
    });
    const t0 = sim.clock.now();
    expect(await list()).toEqual([
      {
        id: expect.any(String),
        target: 'node47',
        kind: 'outage',
        value: null,
        starts_at: t0 + 30_000,
        ends_at: t0 + 90_000,
      },
    ]);
    const submit = async () => {
      const res = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
      expect(res.status).toBe(200);
      return res.body.data.task_id;
    };
    const read = async (id: string) => (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${id}`)).body.data;

    const early = await submit();
    await sim.clock.advance(29_000);
    expect(await read(early)).toMatchObject({ status: 'COMPLETED', credits_charged: 8 });

    await sim.clock.advance(11_000); // t = 40 s: inside the outage
    const before = await snapshot(sim);
    const middle = await submit();
    await sim.clock.advance(10_000);
    const failed = await read(middle);
    expect(failed).toMatchObject({ status: 'FAILED', credits_charged: 0, credits_held: 0 });
    expect(failed.attempts.map((a) => [a.node, a.outcome])).toEqual([
      ['node47', 'refused'],
      ['node47', 'refused'],
      ['node47', 'refused'],
    ]);
    expect(failed.error!.message).toMatch(/node47/);
    expect((await snapshot(sim)).credits).toEqual(before.credits);
    const entries = (await sim.admin.ledger(DEV)).entries.filter((e) => e.task_id === middle);
    expect(entries.map((e) => [e.kind, e.amount])).toEqual([
      ['hold', 8],
      ['release', 8],
    ]);

    await sim.clock.advance(40_000); // t = 90 s: the outage is over
    expect(await list()).toEqual([]);
    const late = await submit();
    await sim.clock.advance(30_000);
    expect(await read(late)).toMatchObject({ status: 'COMPLETED', node: 'node47', credits_charged: 8 });
  });

  it('the scenario starts over with /_sim/reset', async () => {
    sim = await startTestSim({ config: { faults: [scenario] } });
    await sim.clock.advance(100_000);
    expect(await list()).toEqual([]);
    await sim.admin_('POST', '/reset');
    expect(await list()).toHaveLength(1);
  });

  it('an invalid fault in the config refuses to start, naming faults[0].target', async () => {
    await expect(startTestSim({ config: { faults: [{ target: 'node99', kind: 'outage' }] } })).rejects.toThrow(
      /faults\[0\]\.target/,
    );
    await expect(
      startTestSim({ config: { faults: [scenario, { target: 'node47', kind: 'error_rate', value: 3 }] } }),
    ).rejects.toThrow(/faults\[1\]\.value/);
  });
});

describe('model targets: any name a request accepts', () => {
  it.each(['model:imagen4', 'model:imagen-4', 'model:imagen4-ultra', 'model:imagen4-fast'])(
    '%s targets imagen-4, listed under its id',
    async (target) => {
      sim = await startTestSim();
      const res = await sim.admin_<Fault>('POST', '/faults', { target, kind: 'latency_multiplier', value: 2 });
      expect(res.status).toBe(201);
      expect(res.body.target).toBe('model:imagen-4');
      expect(await list()).toEqual([res.body]);
    },
  );

  it('an alias works too (model:seedream-4 → model:seedream), in the config as in the admin API', async () => {
    sim = await startTestSim({ config: { faults: [{ target: 'model:gpt-image-1', kind: 'outage' }] } });
    expect((await list()).map((f) => f.target)).toEqual(['model:gpt-image']);
    expect(
      (await sim.admin_<Fault>('POST', '/faults', { target: 'model:seedream-4', kind: 'outage' })).body.target,
    ).toBe('model:seedream');
  });

  it('an unknown target is 400, and the message lists what is valid', async () => {
    sim = await startTestSim();
    const res = await sim.admin_<ErrorBody>('POST', '/faults', { target: 'model:imagen5', kind: 'outage' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("'target'");
    for (const valid of ['node47', 'model:imagen-4', 'model:cogview-4', 'model:imagen4', 'webhooks'])
      expect(res.body.error.message).toContain(valid);
  });
});

describe('a model outage refuses its submits', () => {
  const GEN = '/api/v1/images/generations';

  it('503 in the error shape with Retry-After, by any of its names; nothing held, no task; its other sub-models too', async () => {
    sim = await startTestSim();
    const fault = await sim.admin_<Fault>('POST', '/faults', {
      target: 'model:imagen4',
      kind: 'outage',
      duration_ms: 42_500,
    });
    expect(fault.status).toBe(201);
    const before = await snapshot(sim);
    let last: Headers | undefined;
    for (const model of ['imagen4', 'imagen-4', 'imagen4-ultra']) {
      const res = await sim.call<ErrorBody>('POST', GEN, { body: { ...SEED_IMAGEN, model } });
      last = res.headers;
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error: { code: 503, message: expect.stringContaining('imagen-4'), type: 'api_error' },
      });
      expect(res.headers.get('retry-after')).toBe('43');
    }
    // Three requests counted in the window (the last answer's RateLimit says how many in all).
    expect(await snapshot(sim)).toEqual(leftBy(before, { headers: last ?? new Headers() }));
    // Other models are served as ever.
    expect(
      (await sim.call<Envelope<TaskView>>('POST', GEN, { body: { model: 'seedream', prompt: 'a lighthouse at dusk' } }))
        .status,
    ).toBe(200);

    await sim.clock.advance(42_500); // the outage ends
    const after = await sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_IMAGEN });
    expect(after.status).toBe(200);
    expect(after.body.data.status).toBe('IN_PROGRESS');
  });

  it('an outage with no end asks for a retry in 30 s; an Idempotency-Key refused this way is not used up', async () => {
    sim = await startTestSim();
    const fault = await sim.admin_<Fault>('POST', '/faults', { target: 'model:imagen-4', kind: 'outage' });
    const headers = { 'idempotency-key': 'order-503' };
    const refused = await sim.call<ErrorBody>('POST', GEN, { body: SEED_IMAGEN, headers });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('30');
    await sim.admin_('DELETE', `/faults/${fault.body.id}`);
    const retried = await sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_IMAGEN, headers });
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('a capacity fault: saturation without a restart', () => {
  it('capacity 0 on node47 holds new tasks IN_QUEUE with positions; when it is removed they start', async () => {
    sim = await startTestSim();
    const fault = await sim.admin_<Fault>('POST', '/faults', { target: 'node47', kind: 'capacity', value: 0 });
    expect(fault.status).toBe(201);
    const submit = async (i: number) =>
      (
        await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', {
          body: { ...SEED_IMAGEN, prompt: `${SEED_IMAGEN.prompt} ${i}` },
        })
      ).body.data;
    const a = await submit(1);
    const b = await submit(2);
    expect([a.status, a.queue_position, b.status, b.queue_position]).toEqual(['IN_QUEUE', 1, 'IN_QUEUE', 2]);
    await sim.clock.advance(60_000);
    expect((await sim.admin.tasks({ status: 'IN_QUEUE' })).length).toBe(2);

    await sim.admin_('DELETE', `/faults/${fault.body.id}`);
    const read = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${a.task_id}`)).body.data;
    expect(read).toMatchObject({ status: 'IN_PROGRESS', queue_position: null });
    await drain(sim);
    expect((await sim.admin.tasks({})).every((t) => t.status === 'COMPLETED' || t.status === 'FAILED')).toBe(true);
  });
});
