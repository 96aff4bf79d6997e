import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEV_WEBHOOK_SECRET } from '../../src/admin/admin-service.js';
import type { ConfigFile } from '../../src/config/config-schema.js';
import type { Fault } from '../../src/nodes/faults.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { drain, SEED_IMAGEN, startTestSim, type ErrorBody, type TestSim } from '../helpers/sim.js';
import { deliveries, deliveryOf, finish, simPool, startWebhookSim, submitWithCallback, taskIdOf } from './util.js';

/** The schedule the fault-driven tests share (their simulator is reset before each). */
const WEBHOOKS = { retry_schedule_ms: [1000, 4000] };
const sims = simPool();
let sim: TestSim;
let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});
afterAll(() => sims.close());

const verify = (r: Receiver['received'][number]) =>
  new Webhook(DEV_WEBHOOK_SECRET).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  });

async function addFault(s: TestSim, body: unknown): Promise<Fault> {
  const reply = await s.admin_<Fault>('POST', '/faults', body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
}

/** Move the manual clock to exactly `at` (epoch ms). */
async function advanceTo(s: TestSim, at: number): Promise<void> {
  expect(at - s.clock.now(), 'the clock is already past the moment under test').toBeGreaterThanOrEqual(0);
  await s.clock.advance(at - s.clock.now());
}

describe('duplicate', () => {
  async function expectDuplicated(s: TestSim, r: Receiver): Promise<void> {
    const task = await submitWithCallback(s, r.url);
    await finish(s, task.task_id);
    await s.clock.advance(3600_000);
    expect(r.received).toHaveLength(2);
    const [a, b] = r.received as [Receiver['received'][number], Receiver['received'][number]];
    expect(b.headers['webhook-id']).toBe(a.headers['webhook-id']);
    expect(b.body).toBe(a.body);
    expect(verify(a)).toEqual(verify(b));
    const d = await deliveryOf(s, task.task_id);
    expect(d.id).toBe(a.headers['webhook-id']);
    expect(d.state).toBe('delivered');
    expect(d.attempts.map((x) => [x.n, x.status, x.duplicate])).toEqual([
      [1, 200, false],
      [2, 200, true],
    ]);
  }

  it('fault value 1: every delivery arrives twice with the same webhook-id, the log marks duplicate: true', async () => {
    rx = await startReceiver();
    sim = await sims.get(WEBHOOKS);
    expect(await addFault(sim, { target: 'webhooks', kind: 'duplicate', value: 1 })).toMatchObject({
      target: 'webhooks',
      kind: 'duplicate',
      value: 1,
    });
    await expectDuplicated(sim, rx);
  });

  it('fault without a value means probability 1', async () => {
    rx = await startReceiver();
    sim = await sims.get(WEBHOOKS);
    await addFault(sim, { target: 'webhooks', kind: 'duplicate' });
    await expectDuplicated(sim, rx);
  });

  it('config webhooks.chaos.duplicate 1 does the same from the start (and again after a reset)', async () => {
    rx = await startReceiver();
    sim = await sims.get({ chaos: { duplicate: 1 } });
    expect((await sim.admin_<Fault[]>('GET', '/faults')).body).toMatchObject([
      { target: 'webhooks', kind: 'duplicate', value: 1 },
    ]);
    await expectDuplicated(sim, rx);
    await sim.admin_('POST', '/reset');
    rx.received.length = 0;
    await expectDuplicated(sim, rx);
  });

  it('value 0 never duplicates; removing the fault stops duplicates', async () => {
    rx = await startReceiver();
    sim = await sims.get(WEBHOOKS);
    const zero = await addFault(sim, { target: 'webhooks', kind: 'duplicate', value: 0 });
    const first = await submitWithCallback(sim, rx.url);
    await finish(sim, first.task_id);
    expect(rx.received).toHaveLength(1);
    expect((await sim.admin_('DELETE', `/faults/${zero.id}`)).status).toBe(200);

    const one = await addFault(sim, { target: 'webhooks', kind: 'duplicate', value: 1 });
    const second = await submitWithCallback(sim, rx.url, { ...SEED_IMAGEN, prompt: 'Ramen again, now with an egg' });
    await finish(sim, second.task_id);
    expect(rx.received).toHaveLength(3);
    expect((await sim.admin_('DELETE', `/faults/${one.id}`)).status).toBe(200);

    const third = await submitWithCallback(sim, rx.url, { ...SEED_IMAGEN, prompt: 'Ramen a third time, with nori' });
    await finish(sim, third.task_id);
    await sim.clock.advance(60_000);
    expect(rx.received.map((r) => taskIdOf(r.body))).toEqual([
      first.task_id,
      second.task_id,
      second.task_id,
      third.task_id,
    ]);
  });

  it('only acknowledged attempts are duplicated, and duplicates do not use up the retry schedule', async () => {
    rx = await startReceiver();
    rx.script({ status: 500 }, { status: 500 });
    sim = await sims.get(WEBHOOKS);
    await addFault(sim, { target: 'webhooks', kind: 'duplicate', value: 1 });
    const task = await submitWithCallback(sim, rx.url);
    await finish(sim, task.task_id);
    await sim.clock.advance(60_000);
    const d = await deliveryOf(sim, task.task_id);
    expect(d.state).toBe('delivered');
    expect(d.attempts.map((a) => [a.status, a.duplicate])).toEqual([
      [500, false],
      [500, false],
      [200, false],
      [200, true],
    ]);
    expect(d.attempts.map((a) => a.at - d.attempts[0]!.at)).toEqual([0, 1000, 5000, 5000]);
    expect(new Set(rx.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([d.id]));
  });
});

describe('delay', () => {
  async function expectDelayed(s: TestSim, r: Receiver, ms: number): Promise<void> {
    const task = await submitWithCallback(s, r.url);
    await finish(s, task.task_id);
    const pending = await deliveryOf(s, task.task_id);
    expect(pending).toMatchObject({ state: 'pending', attempts: [], next_attempt_at: pending.created_at + ms });
    expect(r.received).toHaveLength(0);
    await advanceTo(s, pending.created_at + ms - 1);
    expect(r.received).toHaveLength(0);
    await advanceTo(s, pending.created_at + ms);
    expect(r.received).toHaveLength(1);
    const d = await deliveryOf(s, task.task_id);
    expect(d.state).toBe('delivered');
    expect(d.attempts).toEqual([
      expect.objectContaining({ n: 1, at: pending.created_at + ms, status: 200, duplicate: false }),
    ]);
    expect(verify(r.received[0]!)).toMatchObject({ data: { task_id: task.task_id, status: 'COMPLETED' } });
  }

  it('fault value 5000: nothing arrives before +5 s, it arrives at +5 s', async () => {
    rx = await startReceiver();
    sim = await sims.get(WEBHOOKS);
    await addFault(sim, { target: 'webhooks', kind: 'delay', value: 5000 });
    await expectDelayed(sim, rx, 5000);
  });

  it('config webhooks.chaos.delay_ms does the same', async () => {
    rx = await startReceiver();
    sim = await sims.get({ chaos: { delay_ms: 5000 } });
    await expectDelayed(sim, rx, 5000);
  });
});

describe('reorder', () => {
  // Ten tasks on one node with room for all, each taking exactly 3 s: they finish together.
  const TOGETHER: Partial<ConfigFile> = {
    models: { 'imagen-4': { failure_rate: 0, latency_ms: { p5: 3000, p95: 3000 } } },
    nodes: { node47: { capacity: 10 } },
  };
  const NO_RETRIES = { retry_schedule_ms: [] };

  /** Submit ten tasks, let them finish, let every delivery go; completion order and arrival order (task ids). */
  async function run(s: TestSim, r: Receiver): Promise<{ completed: string[]; arrived: string[] }> {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++)
      ids.push(
        (await submitWithCallback(s, r.url, { ...SEED_IMAGEN, prompt: `Bowl of ramen number ${i}, steam rising` }))
          .task_id,
      );
    await drain(s, 1000);
    await s.clock.advance(20_000);
    const log = await deliveries(s);
    expect(log).toHaveLength(10);
    const finishedAt = new Set(log.map((d) => d.created_at));
    expect(finishedAt.size, 'the ten tasks finish at the same moment').toBe(1);
    expect(r.received).toHaveLength(10);
    return { completed: log.map((d) => d.task_id), arrived: r.received.map((x) => taskIdOf(x.body)) };
  }

  it('without chaos, deliveries arrive in completion order (the control)', async () => {
    rx = await startReceiver();
    sim = await sims.get(NO_RETRIES, TOGETHER);
    const { completed, arrived } = await run(sim, rx);
    expect(arrived).toEqual(completed);
  });

  it('fault window 10000: arrival order is a permutation of completion order, not the same, each within the window', async () => {
    rx = await startReceiver();
    sim = await sims.get(NO_RETRIES, TOGETHER);
    await addFault(sim, { target: 'webhooks', kind: 'reorder', value: 10_000 });
    const { completed, arrived } = await run(sim, rx);
    expect([...arrived].sort()).toEqual([...completed].sort());
    expect(new Set(arrived).size).toBe(10);
    expect(arrived).not.toEqual(completed);
    for (const d of await deliveries(sim)) {
      expect(d.state).toBe('delivered');
      expect(d.attempts).toHaveLength(1);
      expect(d.attempts[0]!.at - d.created_at).toBeGreaterThanOrEqual(0);
      expect(d.attempts[0]!.at - d.created_at).toBeLessThan(10_000);
    }
  });

  it('config webhooks.chaos.reorder_ms: the same order on every run with the same seed, after a reset, and as the fault gives', async () => {
    const orders: string[][] = [];
    for (const via of ['config', 'config', 'fault'] as const) {
      // A fresh simulator each time: the order must not depend on anything but the seed and the requests.
      const r = await startReceiver();
      const s = await startWebhookSim(
        { ...NO_RETRIES, ...(via === 'config' ? { chaos: { reorder_ms: 10_000 } } : {}) },
        TOGETHER,
        { seed: 7 },
      );
      try {
        if (via === 'fault') await addFault(s, { target: 'webhooks', kind: 'reorder', value: 10_000 });
        const { completed, arrived } = await run(s, r);
        expect([...arrived].sort()).toEqual([...completed].sort());
        expect(arrived).not.toEqual(completed);
        orders.push(arrived);
        if (via === 'config') {
          // After a reset, the same requests give the same order again (the chaos is not doubled).
          await s.admin_('POST', '/reset');
          expect((await s.admin_<Fault[]>('GET', '/faults')).body).toHaveLength(1);
          r.received.length = 0;
          expect((await run(s, r)).arrived).toEqual(arrived);
        }
      } finally {
        await r.close();
        await s.close();
      }
    }
    expect(orders[1]).toEqual(orders[0]);
    expect(orders[2]).toEqual(orders[0]);
  });
});

describe('reset', () => {
  it('POST /_sim/reset drops faults added over the API and restores the config chaos exactly once', async () => {
    rx = await startReceiver();
    sim = await sims.get({ chaos: { delay_ms: 5000 } });
    await addFault(sim, { target: 'webhooks', kind: 'duplicate', value: 1 });
    await addFault(sim, { target: 'webhooks', kind: 'delay', value: 1000 });
    expect((await sim.admin_<Fault[]>('GET', '/faults')).body).toHaveLength(3);
    expect((await sim.admin_('POST', '/reset')).status).toBe(200);
    expect((await sim.admin_<Fault[]>('GET', '/faults')).body).toEqual([
      {
        id: expect.any(String),
        target: 'webhooks',
        kind: 'delay',
        value: 5000,
        starts_at: sim.clock.now(),
        ends_at: null,
      },
    ]);
    // So a delivery is delayed by 5 s (not 10 or 11) and not duplicated.
    const task = await submitWithCallback(sim, rx.url);
    await finish(sim, task.task_id);
    const d = await deliveryOf(sim, task.task_id);
    expect(d.next_attempt_at).toBe(d.created_at + 5000);
    await sim.clock.advance(60_000);
    expect(rx.received).toHaveLength(1);
  });
});

describe('bad chaos is refused, naming the field', () => {
  for (const [what, body, field] of [
    ["kind 'outage' on target webhooks", { target: 'webhooks', kind: 'outage' }, 'kind'],
    ['a node kind on webhooks', { target: 'webhooks', kind: 'error_rate', value: 0.5 }, 'kind'],
    ['a webhook kind on a node', { target: 'node47', kind: 'duplicate', value: 1 }, 'kind'],
    ['delay without value', { target: 'webhooks', kind: 'delay' }, 'value'],
    ['delay below zero', { target: 'webhooks', kind: 'delay', value: -5 }, 'value'],
    ['delay not whole ms', { target: 'webhooks', kind: 'delay', value: 2.5 }, 'value'],
    ['duplicate value 2', { target: 'webhooks', kind: 'duplicate', value: 2 }, 'value'],
    ['duplicate value as a string', { target: 'webhooks', kind: 'duplicate', value: '1' }, 'value'],
    ['reorder without a window', { target: 'webhooks', kind: 'reorder' }, 'value'],
    ['an unknown field', { target: 'webhooks', kind: 'delay', value: 5, every: 2 }, 'every'],
  ] as const) {
    it(`${what} → 400, and no fault added`, async () => {
      sim = await sims.get(WEBHOOKS);
      const reply = await sim.admin_<ErrorBody>('POST', '/faults', body);
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ error: { code: 400, type: 'invalid_request_error' } });
      expect(reply.body.error.message).toContain(`'${field}'`);
      expect((await sim.admin_('GET', '/faults')).body).toEqual([]);
    });
  }

  it('bad config chaos stops the simulator from starting, naming the setting', async () => {
    await expect(startWebhookSim({ chaos: { duplicate: 2 } })).rejects.toThrow(/duplicate/);
    await expect(startTestSim({ config: { faults: [{ target: 'webhooks', kind: 'outage' }] } })).rejects.toThrow(
      /faults\[0\]\.kind/,
    );
    await expect(startTestSim({ config: { faults: [{ target: 'webhooks', kind: 'delay' }] } })).rejects.toThrow(
      /faults\[0\]\.value/,
    );
  });
});
