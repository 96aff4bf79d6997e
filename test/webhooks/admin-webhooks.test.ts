import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEV_WEBHOOK_SECRET } from '../../src/admin/admin-service.js';
import type { DeliveryRecord } from '../../src/store/store.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { SEED_IMAGEN, type ErrorBody, type TestSim } from '../helpers/sim.js';
import { deliveries, deliveryOf, finish, simPool, submitWithCallback, taskIdOf } from './util.js';

/** One retry, a second after the first attempt. */
const WEBHOOKS = { retry_schedule_ms: [1000] };
/** For a receiver that holds on: the advance lets go of its attempt after 100 real ms, not the default 2 s. */
const HOLDING = { ...WEBHOOKS, answer_grace_ms: 100 };
const sims = simPool();
let sim: TestSim;
let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});
afterAll(() => sims.close());

const headersOf = (r: Receiver['received'][number]) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

describe('GET /_sim/webhooks', () => {
  it('logs every attempt with time, status, latency, response excerpt and error', async () => {
    rx = await startReceiver();
    const long = 'x'.repeat(1_000);
    rx.script({ status: 500, body: long });
    sim = await sims.get(WEBHOOKS);
    const task = await submitWithCallback(sim, rx.url);
    await finish(sim, task.task_id);
    await sim.clock.advance(2_000);

    const d = await deliveryOf(sim, task.task_id);
    expect(d).toEqual({
      id: expect.stringMatching(/^msg_[A-Za-z0-9]+$/),
      task_id: task.task_id,
      key: 'aio_dev_key',
      url: rx.url,
      body: rx.received[0]!.body,
      state: 'delivered',
      attempts: [
        {
          n: 1,
          at: d.created_at,
          status: 500,
          latency_ms: expect.any(Number),
          response_excerpt: 'x'.repeat(200),
          error: 'HTTP 500',
          duplicate: false,
        },
        {
          n: 2,
          at: d.created_at + 1000,
          status: 200,
          latency_ms: expect.any(Number),
          response_excerpt: 'ok',
          error: null,
          duplicate: false,
        },
      ],
      next_attempt_at: null,
      created_at: expect.any(Number),
    });
    // `at` is on the simulator clock (the manual clock starts at 2026-01-01), latency is real time.
    expect(d.created_at).toBeGreaterThanOrEqual(Date.parse('2026-01-01T00:00:00Z'));
    expect(d.created_at).toBeLessThanOrEqual(sim.clock.now());
    for (const a of d.attempts) expect(a.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('filters by task_id, lists every delivery in creation order without it, and [] for an unknown task', async () => {
    rx = await startReceiver();
    sim = await sims.get(WEBHOOKS);
    const a = await submitWithCallback(sim, rx.url);
    const b = await submitWithCallback(sim, rx.url, { ...SEED_IMAGEN, prompt: 'A second bowl of ramen, from above' });
    await finish(sim, a.task_id);
    await finish(sim, b.task_id);
    await sim.clock.advance(0);

    const all = await deliveries(sim);
    expect(all).toHaveLength(2);
    expect(all.map((d) => d.task_id).sort()).toEqual([a.task_id, b.task_id].sort());
    expect(all[0]!.created_at).toBeLessThanOrEqual(all[1]!.created_at);
    expect(new Set(all.map((d) => d.id)).size).toBe(2);
    expect((await deliveries(sim, a.task_id)).map((d) => d.task_id)).toEqual([a.task_id]);
    expect((await deliveries(sim, b.task_id)).map((d) => d.task_id)).toEqual([b.task_id]);
    expect(await deliveries(sim, 'n47nosuchtask_imagen4')).toEqual([]);
    // Each delivery's body is the one its task's webhook carried.
    for (const d of all) expect(taskIdOf(d.body)).toBe(d.task_id);
  });

  it('task_id given twice → 400', async () => {
    sim = await sims.get(WEBHOOKS);
    const reply = await sim.admin_<ErrorBody>('GET', '/webhooks?task_id=a&task_id=b');
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toContain('task_id');
  });

  it('POST /_sim/reset empties the log and cancels pending retries', async () => {
    rx = await startReceiver({ status: 500 });
    sim = await sims.get(WEBHOOKS);
    const task = await submitWithCallback(sim, rx.url);
    await finish(sim, task.task_id);
    expect(rx.received).toHaveLength(1);
    expect((await sim.admin_('POST', '/reset')).status).toBe(200);
    expect(await deliveries(sim)).toEqual([]);
    await sim.clock.advance(60_000);
    expect(rx.received).toHaveLength(1);
  });
  it('an attempt still waiting on its receiver at a reset leaves no trace once the receiver answers', async () => {
    rx = await startReceiver({ status: 500 });
    rx.script('hold');
    sim = await sims.get(HOLDING);
    const task = await submitWithCallback(sim, rx.url);
    await finish(sim, task.task_id);
    expect(rx.received).toHaveLength(1);
    expect((await sim.admin_('POST', '/reset')).status).toBe(200);
    rx.release();
    // Wait (a few ms at a time, bounded) for the held exchange to come back to the simulator.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    await sim.clock.advance(60_000);
    expect(await deliveries(sim)).toEqual([]);
    expect(rx.received).toHaveLength(1);
  });
});

describe('POST /_sim/webhooks/{id}/redeliver', () => {
  it('sends once more, now, with the same webhook-id and body, freshly signed', async () => {
    rx = await startReceiver();
    sim = await sims.get(WEBHOOKS);
    const task = await submitWithCallback(sim, rx.url);
    await finish(sim, task.task_id);
    const before = await deliveryOf(sim, task.task_id);
    expect(before.state).toBe('delivered');
    expect(rx.received).toHaveLength(1);

    const reply = await sim.admin_<DeliveryRecord>('POST', `/webhooks/${before.id}/redeliver`);
    expect(reply.status).toBe(200);
    expect(rx.received).toHaveLength(2);
    const again = rx.received[1]!;
    expect(again.headers['webhook-id']).toBe(before.id);
    expect(again.body).toBe(rx.received[0]!.body);
    expect(new Webhook(DEV_WEBHOOK_SECRET).verify(again.body, headersOf(again))).toEqual(JSON.parse(before.body));

    expect(reply.body.id).toBe(before.id);
    expect(reply.body.state).toBe('delivered');
    expect(reply.body.attempts).toHaveLength(2);
    expect(reply.body.attempts[1]).toMatchObject({
      n: 2,
      at: sim.clock.now(),
      status: 200,
      error: null,
      duplicate: false,
    });
    expect(await deliveryOf(sim, task.task_id)).toEqual(reply.body);
    // Only once: no retries follow.
    await sim.clock.advance(3600_000);
    expect(rx.received).toHaveLength(2);
  });

  it('a failed delivery redelivered to a receiver that now answers 200 becomes delivered', async () => {
    rx = await startReceiver({ status: 500 });
    sim = await sims.get(WEBHOOKS);
    const task = await submitWithCallback(sim, rx.url);
    await finish(sim, task.task_id);
    await sim.clock.advance(5_000);
    const failed = await deliveryOf(sim, task.task_id);
    expect(failed.state).toBe('failed');
    expect(failed.attempts).toHaveLength(2);

    rx.fallback = { status: 204 };
    const reply = await sim.admin_<DeliveryRecord>('POST', `/webhooks/${failed.id}/redeliver`);
    expect(reply.status).toBe(200);
    expect(reply.body.state).toBe('delivered');
    expect(reply.body.attempts.map((a) => a.status)).toEqual([500, 500, 204]);
    expect(rx.received.map((r) => r.headers['webhook-id'])).toEqual([failed.id, failed.id, failed.id]);
  });

  it('a redelivery that fails is logged and leaves a failed delivery failed, with no retries', async () => {
    rx = await startReceiver({ status: 500 });
    sim = await sims.get(WEBHOOKS);
    const task = await submitWithCallback(sim, rx.url);
    await finish(sim, task.task_id);
    await sim.clock.advance(5_000);
    const failed = await deliveryOf(sim, task.task_id);
    expect(failed.state).toBe('failed');
    const reply = await sim.admin_<DeliveryRecord>('POST', `/webhooks/${failed.id}/redeliver`);
    expect(reply.status).toBe(200);
    expect(reply.body.state).toBe('failed');
    expect(reply.body.attempts.map((a) => [a.status, a.error])).toEqual([
      [500, 'HTTP 500'],
      [500, 'HTTP 500'],
      [500, 'HTTP 500'],
    ]);
    await sim.clock.advance(3600_000);
    expect(rx.received).toHaveLength(3);
  });

  it('an unknown id → 404 in the envelope', async () => {
    sim = await sims.get(WEBHOOKS);
    const reply = await sim.admin_<ErrorBody>('POST', '/webhooks/msg_nosuchdelivery/redeliver');
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ error: { code: 404, type: 'not_found_error' } });
    expect(reply.body.error.message).toContain('msg_nosuchdelivery');
  });
});
