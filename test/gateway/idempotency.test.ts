import { afterEach, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import type { LedgerEntry } from '../../src/store/store.js';
import {
  DEV,
  leftBy,
  SEED_IMAGEN,
  snapshot,
  startTestSim,
  type Envelope,
  type Reply,
  type TestSim,
} from '../helpers/sim.js';

const GEN = '/api/v1/images/generations';

let sim: TestSim;
afterEach(() => sim?.close());

const start = () => startTestSim({ config: { models: { 'imagen-4': { failure_rate: 0 } } } });

function submit(body: unknown, idem: string, key: string = DEV): Promise<Reply<Envelope<TaskView>>> {
  return sim.call<Envelope<TaskView>>('POST', GEN, { body, key, headers: { 'idempotency-key': idem } });
}

async function holds(key: string): Promise<LedgerEntry[]> {
  return (await sim.admin.ledger(key)).entries.filter((e) => e.kind === 'hold');
}

describe('Idempotency-Key', () => {
  it('the same key and body give the same task, marked replayed, held once', async () => {
    sim = await start();
    const first = await submit(SEED_IMAGEN, 'idem-1');
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const id = first.body.data.task_id;

    const second = await submit(SEED_IMAGEN, 'idem-1');
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.data.task_id).toBe(id);

    expect(await sim.admin.tasks({})).toHaveLength(1);
    const h = await holds(DEV);
    expect(h).toHaveLength(1);
    expect(h[0]).toMatchObject({ task_id: id, amount: 8 });
    expect((await snapshot(sim)).credits).toEqual({ balance: 10_000, held: 8, available: 9_992 });
  });

  it('a replay after the task finished returns its current state', async () => {
    sim = await start();
    const first = await submit(SEED_IMAGEN, 'idem-done');
    await sim.clock.advance(60_000);
    const again = await submit(SEED_IMAGEN, 'idem-done');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.data).toMatchObject({
      task_id: first.body.data.task_id,
      status: 'COMPLETED',
      credits_charged: 8,
    });
    expect(await holds(DEV)).toHaveLength(1);
  });

  it('key order in the body does not matter', async () => {
    sim = await start();
    const a = await submit(
      { model: 'imagen4', prompt: 'a quiet harbour', aspect_ratio: '16:9', num_images: 2 },
      'idem-order',
    );
    const b = await submit(
      { num_images: 2, aspect_ratio: '16:9', prompt: 'a quiet harbour', model: 'imagen4' },
      'idem-order',
    );
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.body.data.task_id).toBe(a.body.data.task_id);
    expect(await holds(DEV)).toHaveLength(1);
  });

  it('the same key with a different body → 422, and nothing changes', async () => {
    sim = await start();
    const first = await submit(SEED_IMAGEN, 'idem-2');
    expect(first.status).toBe(200);
    const before = await snapshot(sim);
    const other = await submit({ ...SEED_IMAGEN, prompt: 'something else entirely' }, 'idem-2');
    expect(other.status).toBe(422);
    expect(other.body).toEqual({
      error: { code: 422, message: expect.stringContaining('idem-2'), type: 'idempotency_error' },
    });
    expect(other.headers.get('x-request-id')).toBeTruthy();
    expect(await snapshot(sim)).toEqual(leftBy(before, other));
    // The original is still what the key stands for.
    const replay = await submit(SEED_IMAGEN, 'idem-2');
    expect(replay.body.data.task_id).toBe(first.body.data.task_id);
  });

  it('the same Idempotency-Key from two API keys creates two tasks', async () => {
    sim = await start();
    const other = (await sim.admin_<{ key: string }>('POST', '/keys', { credits: 100 })).body.key;
    const a = await submit(SEED_IMAGEN, 'shared-idem');
    const b = await submit(SEED_IMAGEN, 'shared-idem', other);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.body.data.task_id).not.toBe(a.body.data.task_id);
    expect(await sim.admin.tasks({})).toHaveLength(2);
    expect(await holds(DEV)).toHaveLength(1);
    expect(await holds(other)).toHaveLength(1);
  });

  it('20 concurrent duplicates create exactly one task; every answer names it (or is 409)', async () => {
    sim = await start();
    const replies = await Promise.all(Array.from({ length: 20 }, () => submit(SEED_IMAGEN, 'idem-burst')));
    const tasks = await sim.admin.tasks({});
    expect(tasks).toHaveLength(1);
    const id = tasks[0]!.id;
    const ok = replies.filter((r) => r.status === 200);
    const busy = replies.filter((r) => r.status === 409);
    expect(ok.length + busy.length).toBe(20);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of ok) expect(r.body.data.task_id).toBe(id);
    expect(ok.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    for (const r of busy) {
      expect(r.body).toEqual({
        error: { code: 409, message: expect.stringContaining('idem-burst'), type: 'idempotency_error' },
      });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(await holds(DEV)).toHaveLength(1);
    expect((await snapshot(sim)).credits.held).toBe(8);
  });

  it('a request refused with 402 does not burn the key: after a top-up the same key and body succeed', async () => {
    sim = await start();
    const poor = (await sim.admin_<{ key: string }>('POST', '/keys', { credits: 4 })).body.key;
    const before = await snapshot(sim, poor);
    const refused = await submit(SEED_IMAGEN, 'idem-402', poor);
    expect(refused.status).toBe(402);
    expect(refused.body).toEqual({
      error: { code: 402, message: expect.stringMatching(/costs 8, available 4/), type: 'insufficient_credits' },
    });
    expect(await snapshot(sim, poor)).toEqual(leftBy(before, refused, poor));

    expect((await sim.admin_('POST', `/keys/${poor}/credits`, { add: 10 })).status).toBe(200);
    const retried = await submit(SEED_IMAGEN, 'idem-402', poor);
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(retried.body.data.credits_held).toBe(8);
    const replay = await submit(SEED_IMAGEN, 'idem-402', poor);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.data.task_id).toBe(retried.body.data.task_id);
    expect(await holds(poor)).toHaveLength(1);
  });

  it('a request refused as invalid does not claim the key', async () => {
    sim = await start();
    const bad = await submit({ ...SEED_IMAGEN, aspect_ratio: '2:1' }, 'idem-400');
    expect(bad.status).toBe(400);
    const good = await submit(SEED_IMAGEN, 'idem-400');
    expect(good.status).toBe(200);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
  });
  it('a request refused 503 (the model is out) does not claim the key: once it is back the same key succeeds', async () => {
    sim = await start();
    sim.admin.addFault({ target: 'model:imagen-4', kind: 'outage', duration_ms: 1000 });
    const before = await snapshot(sim);
    const refused = await submit(SEED_IMAGEN, 'idem-503');
    expect(refused.status).toBe(503);
    expect(await snapshot(sim)).toEqual(leftBy(before, refused));
    await sim.clock.advance(1000);
    const retried = await submit(SEED_IMAGEN, 'idem-503');
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('a duplicate while the first request is still in progress', () => {
  it('gets the same task: the claim, the hold and the task are created together, so there is never a claim without its task', async () => {
    const { createSimulator } = await import('../../src/simulator.js');
    const s = await createSimulator({ clock: 'manual', config: { models: { 'imagen-4': { failure_rate: 0 } } } });
    try {
      const key = await s.store.getKey(DEV);
      if (!key) throw new Error('no dev key');
      const body = { model: 'imagen4', prompt: 'a bowl of ramen' };
      // Both start at once: the second reaches the store while the first is still running its first attempt.
      const [first, second] = await Promise.all([
        s.service.submit(key, body, 'idem-busy'),
        s.service.submit(key, body, 'idem-busy'),
      ]);
      expect(second.task.id).toBe(first.task.id);
      expect([first.replayed, second.replayed].sort()).toEqual([false, true]);
      expect(await s.store.listTasks({})).toHaveLength(1);
      expect((await s.store.ledger(DEV)).filter((e) => e.kind === 'hold')).toHaveLength(1);
      expect(Object.values(await s.store.idempotencyClaims())).toEqual([
        expect.objectContaining({ taskId: first.task.id }),
      ]);
    } finally {
      await s.close();
    }
  });
});
