import { afterEach, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { ledgerTotals } from '../../src/ledger/ledger.js';
import { startSimulator } from '../../src/simulator.js';
import { MemoryJobBook } from '../../src/store/memory-job-book.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { DEV, drain, SEED_IMAGEN, startTestSim, type Envelope, type ErrorBody, type TestSim } from '../helpers/sim.js';
import { makeTask } from './store-contract.js';

const GEN = '/api/v1/images/generations';

let sim: TestSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const credits = async (s: TestSim) =>
  (await s.call<Envelope<{ balance: number; held: number; available: number }>>('GET', '/api/v1/credits')).body.data;

/** Submits one task and runs the clock until it has finished; its view as GET answers then. */
async function finishOne(s: TestSim, idem: string): Promise<TaskView> {
  const submit = await s.call<Envelope<TaskView>>('POST', GEN, {
    body: SEED_IMAGEN,
    headers: { 'idempotency-key': idem },
  });
  expect(submit.status).toBe(200);
  await drain(s);
  const done = await s.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${submit.body.data.task_id}`);
  expect(done.body.data.status).toBe('COMPLETED');
  return done.body.data;
}

describe('retention of finished tasks (memory store)', () => {
  it('drops a finished task once retention.finished_tasks newer ones finished; a recent one still answers; no balance moves', async () => {
    const s = (sim = await startTestSim({
      config: { retention: { finished_tasks: 2 }, models: { 'imagen-4': { failure_rate: 0 } } },
    }));
    const start = await credits(s);
    const done = [await finishOne(s, 'k1'), await finishOne(s, 'k2')];
    const before = await credits(s);
    done.push(await finishOne(s, 'k3'), await finishOne(s, 'k4'));
    const price = done[0]!.credits_charged;
    expect(price).toBeGreaterThan(0);
    // Two more finished: exactly their two charges, whatever was dropped.
    const less = before.balance - 2 * price;
    expect(await credits(s)).toEqual({ ...before, balance: less, held: 0, available: less });
    expect((await credits(s)).balance).toBe(start.balance - 4 * price);

    for (const old of done.slice(0, 2)) {
      const got = await s.call<ErrorBody>('GET', `/api/v1/tasks/${old.task_id}`);
      expect(got.status).toBe(404);
      expect(got.body.error.type).toBe('not_found_error');
      expect((await fetch(old.output!.images[0]!.url)).status).toBe(404);
    }
    for (const recent of done.slice(2)) {
      expect((await s.call('GET', `/api/v1/tasks/${recent.task_id}`)).status).toBe(200);
      expect((await fetch(recent.output!.images[0]!.url)).status).toBe(200);
    }
    const listed = await s.admin_<TaskView[]>('GET', '/tasks');
    expect(listed.body.map((t) => t.task_id).sort()).toEqual(
      done
        .slice(2)
        .map((t) => t.task_id)
        .sort(),
    );

    // A replay of a dropped task's Idempotency-Key makes no second task and charges nothing.
    const after = await credits(s);
    const replay = await s.call('POST', GEN, { body: SEED_IMAGEN, headers: { 'idempotency-key': 'k1' } });
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({
      error: { type: 'idempotency_error', message: expect.stringContaining('no longer kept') },
    });
    expect(replay.headers.get('retry-after')).toBeNull();
    expect(await credits(s)).toEqual(after);
    expect(await s.admin.tasks({})).toHaveLength(2);
    // A recent one replays as before.
    const recent = await s.call<Envelope<TaskView>>('POST', GEN, {
      body: SEED_IMAGEN,
      headers: { 'idempotency-key': 'k4' },
    });
    expect(recent.headers.get('idempotent-replayed')).toBe('true');
    expect(recent.body.data.task_id).toBe(done[3]!.task_id);

    const { entries, totals } = await s.admin.ledger(DEV);
    const key = await s.admin.getKey(DEV);
    expect(totals).toEqual({ balance: key.credits, held: key.held });
    expect(ledgerTotals(entries)).toEqual(totals);
  });

  it.each([
    ['zero', 0],
    ['a fraction', 1.5],
    ['a string', 'many'],
  ])('refuses retention.finished_tasks of %s at start, naming the field', async (_what, value) => {
    const config = { retention: { finished_tasks: value } } as never;
    await expect(startSimulator({ port: 0, clock: 'manual', config })).rejects.toThrow(/retention\.finished_tasks/);
  });
});

describe('MemoryStore retention', () => {
  const at = 1_000;
  const finish = (store: MemoryStore, id: string) =>
    store.finishTask(makeTask({ id, key: DEV, status: 'COMPLETED', charged: 8 }), 'capture', at);

  it('never drops a running task, keeps the newest finished ones, and pages stay whole across drops', async () => {
    const store = new MemoryStore({ keepFinished: 1 });
    await store.createKey(DEV, 1_000, 'whsec_AAAAAAAAAAAAAAAAAAAAAAAA', { requests: 10, window_s: 1 }, at);
    const ids = ['t0_run', 't1', 't2', 't3'];
    for (const id of ids) {
      const created = await store.createTask({ task: makeTask({ id, key: DEV }), at });
      expect(created.kind).toBe('created');
    }
    for (const id of ids.slice(1)) expect(await finish(store, id)).toBe(true);
    expect((await store.getTask('t0_run'))?.status).toBe('IN_QUEUE');
    expect(await store.getTask('t1')).toBeUndefined();
    expect(await store.getTask('t2')).toBeUndefined();
    expect((await store.getTask('t3'))?.status).toBe('COMPLETED');
    const first = await store.pageTasks({}, 1);
    expect(first?.tasks.map((t) => t.id)).toEqual(['t3']);
    expect(first?.total).toBe(2);
    const second = await store.pageTasks({}, 1, first?.next ?? undefined);
    expect(second?.tasks.map((t) => t.id)).toEqual(['t0_run']);
    expect(second?.next).toBeNull();
    const key = await store.getKey(DEV);
    expect(key).toMatchObject({ credits: 1_000 - 3 * 8, held: 8 });
  });

  it('trims the ledger to its newest entries, each key still adding up to its record', async () => {
    const store = new MemoryStore({ keepFinished: 1 });
    const policy = { requests: 10, window_s: 1 };
    await store.createKey('aio_quiet', 50, 'whsec_AAAAAAAAAAAAAAAAAAAAAAAA', policy, at);
    await store.createKey(DEV, 1_000, 'whsec_AAAAAAAAAAAAAAAAAAAAAAAA', policy, at);
    for (let i = 0; i < 20; i++) {
      await store.createTask({ task: makeTask({ id: `t${i}`, key: DEV }), at });
      await finish(store, `t${i}`);
    }
    const entries = await store.ledger();
    expect(entries.length).toBeLessThan(12);
    expect(entries.at(-1)?.seq).toBe(42);
    expect(ledgerTotals(entries)).toEqual({ balance: 50 + 1_000 - 20 * 8, held: 0 });
    expect(ledgerTotals(await store.ledger('aio_quiet'))).toEqual({ balance: 50, held: 0 });
  });
});

describe('MemoryJobBook retention', () => {
  it('forgets the oldest finished jobs beyond its bound, never an unfinished one', async () => {
    const book = new MemoryJobBook(1);
    const reserve = (id: string, now: number, runMs: number) =>
      book.reserve({
        job: { id, model: 'imagen-4', modelId: 'imagen4', submittedAt: now, width: 1, height: 1, numImages: 1 },
        now,
        capacity: 10,
        rooms: [],
        baseRunMs: runMs,
        latency: [],
        failure: { rate: 0, faults: [], draw: 1, error: { type: 'x', detail: 'x' } },
      });
    await reserve('long', 0, 1_000_000);
    await reserve('a', 0, 10);
    await reserve('b', 0, 20);
    await reserve('c', 100, 10);
    // a and b finished by 100: only the newest (b) is kept; the long one runs on.
    expect(await book.read('a', 100)).toBeUndefined();
    expect((await book.read('b', 100))?.job.id).toBe('b');
    expect((await book.read('long', 100))?.job.id).toBe('long');
    expect(await book.counts(100)).toEqual({ running: 2, queued: 0 });
  });

  it('keeps the newest finished jobs round its ring as they were booked; a reserve of a kept one gives it back', async () => {
    const book = new MemoryJobBook(2);
    const reserve = (id: string, now: number) =>
      book.reserve({
        job: { id, model: 'imagen-4', modelId: 'imagen4', submittedAt: now, width: 2, height: 3, numImages: 1 },
        now,
        capacity: 10,
        rooms: [],
        baseRunMs: 10,
        latency: [],
        failure: { rate: 1, faults: [], draw: 0, error: { type: 'x', detail: 'y' } },
      });
    const first = await reserve('j0', 0);
    for (let i = 1; i <= 5; i++) await reserve(`j${i}`, i * 100);
    // j0..j4 finished by the last reserve: j3 and j4 kept (the ring came round twice), j5 runs.
    expect(await book.read('j2', 500)).toBeUndefined();
    expect((await book.read('j3', 500))?.job).toEqual({
      ...first,
      id: 'j3',
      submittedAt: 300,
      seq: 4,
      startAt: 300,
      finishAt: 310,
    });
    expect(await book.read('j4', 500)).toEqual({
      job: expect.objectContaining({ id: 'j4', finishAt: 410 }),
      queuePosition: null,
    });
    expect(await reserve('j4', 600)).toEqual((await book.read('j4', 600))?.job);
    expect(await book.read('j0', 500)).toBeUndefined();
    expect(first).toEqual({
      id: 'j0',
      model: 'imagen-4',
      modelId: 'imagen4',
      submittedAt: 0,
      seq: 1,
      startAt: 0,
      finishAt: 10,
      width: 2,
      height: 3,
      numImages: 1,
      error: { type: 'x', detail: 'y' },
    });
  });
});
