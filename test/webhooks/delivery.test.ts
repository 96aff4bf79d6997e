import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEV_WEBHOOK_SECRET } from '../../src/admin/admin-service.js';
import type { TaskView } from '../../src/gateway/task.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators } from '../../src/spec/validators.js';
import type { DeliveryRecord } from '../../src/store/store.js';
import { verifyWebhook } from '../../src/webhooks/signature.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { DEV, SEED_IMAGEN, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';
import { deliveryOf, finish, getTask, startWebhookSim, submitWithCallback } from './util.js';

/** The schedule and timeout most tests share (one simulator, reset before each test). */
const SHARED = { retry_schedule_ms: [1000, 4000], timeout_ms: 5000 };
/** For a receiver that holds on: the advance lets go of its attempt after 100 real ms, not the default 2 s. */
const HOLDING = { ...SHARED, answer_grace_ms: 100 };
let shared: TestSim;
/** The simulator under test: `shared`, or one a test starts with its own config (closed after it). */
let sim!: TestSim;
let rx: Receiver | undefined;
beforeAll(async () => {
  shared = await startWebhookSim(SHARED);
});
afterAll(async () => {
  await shared.close();
});
beforeEach(async () => {
  expect((await shared.admin_('POST', '/reset')).status).toBe(200);
  sim = shared;
});
afterEach(async () => {
  await rx?.close();
  if (sim !== shared) await sim.close();
  rx = undefined;
  sim = shared;
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll (bounded, a few ms at a time) until `check` holds. */
async function eventually(check: () => Promise<boolean>, what: string, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await pause(5);
  }
  throw new Error(`never: ${what}`);
}

/** Move the manual clock to exactly `at` (epoch ms). */
async function advanceTo(s: TestSim, at: number): Promise<void> {
  const by = at - s.clock.now();
  expect(by, 'the clock is already past the moment under test').toBeGreaterThanOrEqual(0);
  await s.clock.advance(by);
}

const header = (h: Receiver['received'][number]['headers'], name: string): string => {
  const v = h[name];
  expect(typeof v, `header ${name}`).toBe('string');
  return v as string;
};

const webhookHeaders = (r: Receiver['received'][number]) => ({
  'webhook-id': header(r.headers, 'webhook-id'),
  'webhook-timestamp': header(r.headers, 'webhook-timestamp'),
  'webhook-signature': header(r.headers, 'webhook-signature'),
});

const spec = loadSpec();
const validators = new SpecValidators(spec, 'webhook-test');
const taskFinished = spec.webhooks!.taskFinished!.post!;
const validateBody = validators.inline(
  (taskFinished.requestBody as { content: Record<string, { schema: unknown }> }).content['application/json']!.schema,
);
const headerSchemas = (taskFinished.parameters as { name: string; in: string; schema: unknown }[]).filter(
  (p) => p.in === 'header',
);

/** The request matches the spec's webhooks.taskFinished: body (TaskEnvelope) and every header. */
function expectSpecWebhook(r: Receiver['received'][number]): void {
  expect(r.method).toBe('POST');
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const body: unknown = JSON.parse(r.body);
  expect(validateBody(body), validators.describe(validateBody)).toBe(true);
  expect(headerSchemas.map((p) => p.name).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
  for (const p of headerSchemas) {
    const check = validators.inline(p.schema);
    expect(check(header(r.headers, p.name)), `${p.name}: ${validators.describe(check)}`).toBe(true);
  }
}

describe('the delivery: signed per Standard Webhooks, the task in the envelope', () => {
  it('verifies with standardwebhooks under the key secret shown by GET /_sim/keys/aio_dev_key, and with verifyWebhook', async () => {
    rx = await startReceiver();
    const key = await sim.admin_<{ webhook_secret: string }>('GET', `/keys/${DEV}`);
    expect(key.status).toBe(200);
    const secret = key.body.webhook_secret;
    expect(secret).toBe(DEV_WEBHOOK_SECRET);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);

    const submitted = await submitWithCallback(sim, rx.url);
    expect(rx.received).toHaveLength(0);
    const done = await finish(sim, submitted.task_id);
    expect(done.status).toBe('COMPLETED');
    expect(rx.received).toHaveLength(1);
    const got = rx.received[0]!;
    expect(got.path).toBe('/hook');
    expectSpecWebhook(got);

    const headers = webhookHeaders(got);
    const viaLibrary = new Webhook(secret).verify(got.body, headers);
    const viaOurs = verifyWebhook<Envelope<TaskView>>(got.body, headers, secret);
    expect(viaOurs).toEqual(viaLibrary);
    // The payload is the task as GET /api/v1/tasks/{id} shows it, in the gateway's envelope.
    expect(viaOurs).toEqual({ code: 200, message: 'success', data: await getTask(sim, submitted.task_id) });
    expect(viaOurs.data.status).toBe('COMPLETED');
    expect(viaOurs.data.output?.images.length).toBeGreaterThan(0);

    // webhook-id is the delivery's id; webhook-timestamp is wall-clock seconds (so receivers'
    // replay checks work under the manual clock, which starts in 2026-01-01).
    expect(headers['webhook-id']).toBe((await deliveryOf(sim, submitted.task_id)).id);
    expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    // A different secret does not verify.
    expect(() =>
      new Webhook(`whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`).verify(
        got.body,
        headers,
      ),
    ).toThrow();
  });

  it('a FAILED task is delivered too (failure_rate 1), with its error, valid against TaskEnvelope', async () => {
    rx = await startReceiver();
    sim = await startTestSim({
      config: { models: { 'imagen-4': { failure_rate: 1 } }, webhooks: { retry_schedule_ms: [] } },
    });
    const submitted = await submitWithCallback(sim, rx.url);
    const done = await finish(sim, submitted.task_id);
    expect(done.status).toBe('FAILED');
    expect(rx.received).toHaveLength(1);
    expectSpecWebhook(rx.received[0]!);
    const payload = verifyWebhook<Envelope<TaskView>>(
      rx.received[0]!.body,
      webhookHeaders(rx.received[0]!),
      DEV_WEBHOOK_SECRET,
    );
    expect(payload).toEqual({ code: 200, message: 'success', data: done });
    expect(payload.data.status).toBe('FAILED');
    expect(payload.data.error).not.toBeNull();
    expect(new Webhook(DEV_WEBHOOK_SECRET).verify(rx.received[0]!.body, webhookHeaders(rx.received[0]!))).toEqual(
      payload,
    );
  });

  it("signs with the task's own key's secret, not the dev key's", async () => {
    rx = await startReceiver();
    const created = await sim.admin_<{ key: string }>('POST', '/keys', { key: 'aio_webhook_owner', credits: 100 });
    expect(created.status).toBe(201);
    const { body: other } = await sim.admin_<{ webhook_secret: string }>('GET', '/keys/aio_webhook_owner');
    expect(other.webhook_secret).toMatch(/^whsec_/);
    expect(other.webhook_secret).not.toBe(DEV_WEBHOOK_SECRET);

    const submitted = await submitWithCallback(sim, rx.url, SEED_IMAGEN, 'aio_webhook_owner');
    await finish(sim, submitted.task_id, 250, 400, 'aio_webhook_owner');
    const got = rx.received[0]!;
    expect(new Webhook(other.webhook_secret).verify(got.body, webhookHeaders(got))).toMatchObject({
      data: { task_id: submitted.task_id },
    });
    expect(() => verifyWebhook(got.body, webhookHeaders(got), DEV_WEBHOOK_SECRET)).toThrow();
  });

  it('delivers nothing for a task submitted without callback_url', async () => {
    rx = await startReceiver();
    const reply = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    await finish(sim, reply.body.data.task_id);
    await sim.clock.advance(60_000);
    expect(await sim.admin_('GET', '/webhooks')).toMatchObject({ status: 200, body: [] });
    expect(rx.received).toEqual([]);
  });
});

describe('retries on the simulator clock', () => {
  it('fails twice (500) then succeeds: exactly three attempts, spaced by the schedule, one webhook-id', async () => {
    rx = await startReceiver();
    rx.script({ status: 500, body: 'boom 1' }, { status: 500, body: 'boom 2' });
    expect(SHARED.retry_schedule_ms).toEqual([1000, 4000]);
    const submitted = await submitWithCallback(sim, rx.url);
    await finish(sim, submitted.task_id);
    expect(rx.received).toHaveLength(1);
    const first = (await deliveryOf(sim, submitted.task_id)).attempts[0]!;
    expect(first).toMatchObject({ n: 1, status: 500, error: 'HTTP 500', response_excerpt: 'boom 1' });

    // Nothing before the schedule says, then exactly one attempt.
    await advanceTo(sim, first.at + 999);
    expect(rx.received).toHaveLength(1);
    await advanceTo(sim, first.at + 1000);
    expect(rx.received).toHaveLength(2);
    await advanceTo(sim, first.at + 1000 + 3999);
    expect(rx.received).toHaveLength(2);
    await advanceTo(sim, first.at + 1000 + 4000);
    expect(rx.received).toHaveLength(3);
    await sim.clock.advance(24 * 3600_000);
    expect(rx.received).toHaveLength(3);

    const d = await deliveryOf(sim, submitted.task_id);
    expect(d.state).toBe('delivered');
    expect(d.next_attempt_at).toBeNull();
    expect(d.attempts.map((a) => [a.n, a.status, a.response_excerpt])).toEqual([
      [1, 500, 'boom 1'],
      [2, 500, 'boom 2'],
      [3, 200, 'ok'],
    ]);
    expect(d.attempts.map((a, i) => (i === 0 ? 0 : a.at - d.attempts[i - 1]!.at))).toEqual([0, 1000, 4000]);
    // The receiver saw the same three, in that order, with one webhook-id and the same body.
    expect(new Set(rx.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([d.id]));
    expect(new Set(rx.received.map((r) => r.body))).toEqual(new Set([d.body]));
    for (const r of rx.received) expect(new Webhook(DEV_WEBHOOK_SECRET).verify(r.body, webhookHeaders(r))).toBeTruthy();
  });

  it('the schedule scales with --time-scale', async () => {
    rx = await startReceiver({ status: 500 });
    sim = await startWebhookSim({ retry_schedule_ms: [1000, 4000] }, {}, { timeScale: 0.5 });
    const submitted = await submitWithCallback(sim, rx.url);
    await finish(sim, submitted.task_id, 100);
    await sim.clock.advance(10_000);
    const d = await deliveryOf(sim, submitted.task_id);
    expect(d.attempts.map((a) => a.at - d.attempts[0]!.at)).toEqual([0, 500, 2500]);
  });

  it('schedule exhausted: failed after len(schedule)+1 attempts, and nothing more', async () => {
    rx = await startReceiver({ status: 500, body: 'down' });
    sim = await startWebhookSim({ retry_schedule_ms: [1000, 4000, 9000] });
    const submitted = await submitWithCallback(sim, rx.url);
    await finish(sim, submitted.task_id);
    await sim.clock.advance(20_000);
    let d = await deliveryOf(sim, submitted.task_id);
    expect(d.state).toBe('failed');
    expect(d.next_attempt_at).toBeNull();
    expect(d.attempts).toHaveLength(4);
    expect(d.attempts.every((a) => a.status === 500 && a.error === 'HTTP 500')).toBe(true);
    expect(d.attempts.map((a) => a.at - d.attempts[0]!.at)).toEqual([0, 1000, 5000, 14000]);
    await sim.clock.advance(7 * 24 * 3600_000);
    d = await deliveryOf(sim, submitted.task_id);
    expect(d.attempts).toHaveLength(4);
    expect(rx.received).toHaveLength(4);
  });

  it('an empty schedule: one attempt, then failed', async () => {
    rx = await startReceiver({ status: 502 });
    sim = await startWebhookSim({ retry_schedule_ms: [] });
    const submitted = await submitWithCallback(sim, rx.url);
    await finish(sim, submitted.task_id);
    await sim.clock.advance(3600_000);
    const d = await deliveryOf(sim, submitted.task_id);
    expect(d).toMatchObject({ state: 'failed', next_attempt_at: null });
    expect(d.attempts).toHaveLength(1);
    expect(rx.received).toHaveLength(1);
  });

  it('a receiver that is down (connection refused) is retried, the network error logged', async () => {
    const down = await startReceiver();
    const url = down.url;
    await down.close();
    const submitted = await submitWithCallback(sim, url);
    await finish(sim, submitted.task_id);
    await sim.clock.advance(10_000);
    const d = await deliveryOf(sim, submitted.task_id);
    expect(d.state).toBe('failed');
    expect(d.attempts).toHaveLength(3);
    for (const a of d.attempts) {
      expect(a.status).toBeNull();
      expect(a.response_excerpt).toBeNull();
      expect(a.error).toEqual(expect.any(String));
      expect(a.error).not.toBe('timeout');
    }
  });

  it('410 stops retries: one attempt, disabled, nothing later', async () => {
    rx = await startReceiver({ status: 410, body: 'gone' });
    const submitted = await submitWithCallback(sim, rx.url);
    await finish(sim, submitted.task_id);
    await sim.clock.advance(7 * 24 * 3600_000);
    const d = await deliveryOf(sim, submitted.task_id);
    expect(d.state).toBe('disabled');
    expect(d.next_attempt_at).toBeNull();
    expect(d.attempts).toHaveLength(1);
    expect(d.attempts[0]).toMatchObject({ status: 410, response_excerpt: 'gone', error: 'HTTP 410' });
    expect(rx.received).toHaveLength(1);
  });

  for (const status of [429, 503]) {
    it(`${status} with Retry-After: 30 → the next attempt no earlier than 30 s later, though the schedule says 1 s`, async () => {
      rx = await startReceiver();
      rx.script({ status, headers: { 'retry-after': '30' }, body: 'slow down' });
      expect(SHARED.retry_schedule_ms[0]).toBe(1000);
      const submitted = await submitWithCallback(sim, rx.url);
      await finish(sim, submitted.task_id);
      const first = (await deliveryOf(sim, submitted.task_id)).attempts[0]!;
      expect(first.status).toBe(status);
      expect((await deliveryOf(sim, submitted.task_id)).next_attempt_at).toBe(first.at + 30_000);
      await advanceTo(sim, first.at + 29_999);
      expect(rx.received).toHaveLength(1);
      await advanceTo(sim, first.at + 30_000);
      expect(rx.received).toHaveLength(2);
      const d = await deliveryOf(sim, submitted.task_id);
      expect(d.state).toBe('delivered');
      expect(d.attempts[1]!.at - d.attempts[0]!.at).toBe(30_000);
      expect(rx.received[1]!.headers['webhook-id']).toBe(rx.received[0]!.headers['webhook-id']);
    });
  }

  it('Retry-After shorter than the schedule does not hurry it, and on other statuses it is not used', async () => {
    rx = await startReceiver();
    rx.script({ status: 429, headers: { 'retry-after': '0' } }, { status: 500, headers: { 'retry-after': '30' } });
    const submitted = await submitWithCallback(sim, rx.url);
    await finish(sim, submitted.task_id);
    await sim.clock.advance(60_000);
    const d = await deliveryOf(sim, submitted.task_id);
    expect(d.attempts.map((a) => a.status)).toEqual([429, 500, 200]);
    expect(d.attempts.map((a) => a.at - d.attempts[0]!.at)).toEqual([0, 1000, 5000]);
  });
});

describe('timeouts, and a task never waits on its webhook', () => {
  it('a receiver that never answers: the attempt is logged as a timeout once the clock passes timeout_ms, then retried', async () => {
    rx = await startReceiver();
    rx.script('hold');
    expect(SHARED).toEqual({ retry_schedule_ms: [1000, 4000], timeout_ms: 5000 });
    sim = await startWebhookSim(HOLDING);
    const submitted = await submitWithCallback(sim, rx.url);
    await finish(sim, submitted.task_id);
    expect(rx.received).toHaveLength(1);
    let d: DeliveryRecord = await deliveryOf(sim, submitted.task_id);
    expect(d.state).toBe('pending');
    expect(d.attempts).toEqual([]);
    const sentAt = d.created_at;

    await advanceTo(sim, sentAt + 4999);
    expect((await deliveryOf(sim, submitted.task_id)).attempts).toEqual([]);
    await advanceTo(sim, sentAt + 5000);
    d = await deliveryOf(sim, submitted.task_id);
    expect(d.attempts).toHaveLength(1);
    expect(d.attempts[0]).toMatchObject({ n: 1, at: sentAt, status: null, response_excerpt: null, error: 'timeout' });
    expect(d).toMatchObject({ state: 'pending', next_attempt_at: sentAt + 5000 + 1000 });

    await advanceTo(sim, sentAt + 5999);
    expect(rx.received).toHaveLength(1);
    await advanceTo(sim, sentAt + 6000);
    expect(rx.received).toHaveLength(2);
    d = await deliveryOf(sim, submitted.task_id);
    expect(d.state).toBe('delivered');
    expect(d.attempts.map((a) => [a.status, a.error])).toEqual([
      [null, 'timeout'],
      [200, null],
    ]);
    expect(rx.received[1]!.headers['webhook-id']).toBe(d.id);
  });

  it('a receiver that hangs: the task is already COMPLETED, and its late answer is still logged', async () => {
    rx = await startReceiver();
    rx.script('hold');
    sim = await startWebhookSim(HOLDING);
    const submitted = await submitWithCallback(sim, rx.url);
    const done = await finish(sim, submitted.task_id);
    expect(done.status).toBe('COMPLETED');
    expect(rx.received).toHaveLength(1);
    expect(await getTask(sim, submitted.task_id)).toMatchObject({ status: 'COMPLETED', credits_held: 0 });
    expect((await sim.admin.tasks({}))[0]!.status).toBe('COMPLETED');
    expect(await deliveryOf(sim, submitted.task_id)).toMatchObject({ state: 'pending', attempts: [] });

    // The clock still moves while the receiver sits on the request (short of the 5 s timeout).
    await sim.clock.advance(1_000);
    expect(await deliveryOf(sim, submitted.task_id)).toMatchObject({ state: 'pending', attempts: [] });
    rx.release();
    await eventually(
      async () => (await deliveryOf(sim, submitted.task_id)).state === 'delivered',
      'the late answer is logged',
    );
    const d = await deliveryOf(sim, submitted.task_id);
    expect(d.attempts).toHaveLength(1);
    expect(d.attempts[0]).toMatchObject({ status: 200, response_excerpt: 'released', error: null });
  });

  it('under the real clock too, the task is COMPLETED while its receiver hangs', async () => {
    rx = await startReceiver();
    rx.script('hold');
    sim = await startTestSim({
      clock: 'real',
      timeScale: 0.001,
      config: { models: { 'imagen-4': { failure_rate: 0 } }, webhooks: { retry_schedule_ms: [] } },
    });
    const submitted = await submitWithCallback(sim, rx.url);
    await rx.waitFor(1, 5_000);
    expect(await getTask(sim, submitted.task_id)).toMatchObject({ status: 'COMPLETED' });
    expect(await deliveryOf(sim, submitted.task_id)).toMatchObject({ state: 'pending', attempts: [] });
    rx.release();
    await eventually(
      async () => (await deliveryOf(sim, submitted.task_id)).state === 'delivered',
      'the answer is logged',
    );
  });
});
