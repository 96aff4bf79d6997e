import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import type { ModelInfo } from '../../src/catalog/model-info.js';
import type { ConfigFile } from '../../src/config/config-schema.js';
import type { TaskView } from '../../src/gateway/task.js';
import { ledgerTotals } from '../../src/ledger/ledger.js';
import { createRng } from '../../src/rng/rng.js';
import { DEV, drain, SEED_IMAGEN, settling, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';

const GEN = '/api/v1/images/generations';

let sim: TestSim;
afterEach(() => sim?.close());

const credits = async (key: string = DEV) =>
  (await sim.call<Envelope<{ balance: number; held: number; available: number }>>('GET', '/api/v1/credits', { key }))
    .body.data;

async function submitAndFinish(body: unknown): Promise<TaskView> {
  const submit = await sim.call<Envelope<TaskView>>('POST', GEN, { body });
  expect(submit.status).toBe(200);
  expect(submit.body.data.credits_held).toBeGreaterThan(0);
  await drain(sim);
  const done = await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${submit.body.data.task_id}`);
  return done.body.data;
}

describe('credits through the task lifecycle', () => {
  it('a failed task is charged nothing: the hold is released', async () => {
    sim = await startTestSim({ config: { models: { 'imagen-4': { failure_rate: 1 } } } });
    const before = await credits();
    const task = await submitAndFinish(SEED_IMAGEN);
    expect(task.status).toBe('FAILED');
    expect(task.output).toBeNull();
    expect(task.credits_charged).toBe(0);
    expect(task.credits_held).toBe(0);
    const codes = loadCatalog().file.errors.map((e) => e.code);
    expect(codes).toContain(task.error!.code);
    expect(task.error!.message).toMatch(/\S/);
    expect(Object.keys(task.error!).sort()).toEqual(['code', 'message']);

    const entries = (await sim.admin.ledger(DEV)).entries.filter((e) => e.task_id === task.task_id);
    expect(entries.map((e) => [e.kind, e.amount])).toEqual([
      ['hold', 8],
      ['release', 8],
    ]);
    expect(await credits()).toEqual(before);
    // Nothing to download from a failed task.
    expect((await fetch(`${sim.url}/files/${task.task_id}/0.png`)).status).toBe(404);
  });

  it('a completed task is charged its price: the hold is captured', async () => {
    sim = await startTestSim({ config: { models: { 'imagen-4': { failure_rate: 0 } } } });
    const before = await credits();
    const task = await submitAndFinish({ ...SEED_IMAGEN, model: 'imagen4-fast', num_images: 2 });
    expect(task.status).toBe('COMPLETED');
    expect(task.error).toBeNull();
    expect(task.credits_charged).toBe(8);
    expect(task.credits_held).toBe(0);
    const entries = (await sim.admin.ledger(DEV)).entries.filter((e) => e.task_id === task.task_id);
    expect(entries.map((e) => [e.kind, e.amount])).toEqual([
      ['hold', 8],
      ['capture', 8],
    ]);
    expect(await credits()).toEqual({ balance: before.balance - 8, held: 0, available: before.balance - 8 });
  });

  it('the ledger sums to every key record at every step of mixed submits, failures, top-ups and clock advances', async () => {
    const config: ConfigFile = {
      keys: [{ key: 'aio_mixed', credits: 30 }],
      models: {
        'imagen-4': { failure_rate: 0.5 },
        'flux-2': { failure_rate: 0.5 },
        'cogview-4': { failure_rate: 0.5 },
        'qwen-image': { failure_rate: 0.5 },
      },
    };
    sim = await startTestSim({ seed: 3, config });
    const keys = [DEV, 'aio_mixed'];
    const bodies = [
      { model: 'imagen4', prompt: 'a cabin in the woods' },
      { model: 'imagen4-ultra', prompt: 'a cabin in the woods', num_images: 2 },
      { model: 'flux-2', prompt: 'a copper kettle' },
      { model: 'cogview-4', prompt: 'a paper lantern' },
      { model: 'qwen-image', prompt: 'a bowl of plums' },
      { model: 'gpt-image', prompt: 'a tin robot' },
    ];
    const rng = createRng(99);
    const statuses = new Set<number>();

    const check = async (step: string) => {
      for (const key of keys) {
        const rec = await sim.admin.getKey(key);
        const { entries, totals } = await sim.admin.ledger(key);
        expect(ledgerTotals(entries), `${step}: ${key}`).toEqual({ balance: rec.credits, held: rec.held });
        expect(totals).toEqual({ balance: rec.credits, held: rec.held });
        expect(rec.held).toBeLessThanOrEqual(rec.credits);
        const open = (await sim.admin.tasks({ key })).filter(
          (t) => t.status === 'IN_QUEUE' || t.status === 'IN_PROGRESS',
        );
        expect(rec.held, `${step}: ${key} holds what its open tasks hold`).toBe(open.reduce((s, t) => s + t.held, 0));
        expect(await credits(key)).toEqual({ balance: rec.credits, held: rec.held, available: rec.credits - rec.held });
      }
    };

    await check('start');
    for (let i = 0; i < 60; i++) {
      const r = rng.next();
      if (r < 0.6) {
        const key = rng.next() < 0.3 ? DEV : 'aio_mixed';
        const body = bodies[Math.floor(rng.next() * bodies.length)]!;
        const reply = await settling(sim, sim.call('POST', GEN, { body, key }), 30_000);
        statuses.add(reply.status);
        expect([200, 402]).toContain(reply.status);
      } else if (r < 0.9) {
        await sim.clock.advance(Math.floor(rng.next() * 8_000));
      } else {
        expect((await sim.admin_('POST', '/keys/aio_mixed/credits', { add: 10 })).status).toBe(200);
      }
      await check(`step ${i}`);
    }
    await drain(sim);
    await check('drained');

    // Both outcomes and a refusal happened, and every task's figures add up.
    const tasks = await sim.admin.tasks({});
    expect(new Set(tasks.map((t) => t.status))).toEqual(new Set(['COMPLETED', 'FAILED']));
    expect(statuses).toEqual(new Set([200, 402]));
    for (const key of keys) {
      const rec = await sim.admin.getKey(key);
      const granted = (await sim.admin.ledger(key)).entries
        .filter((e) => e.kind === 'grant' || e.kind === 'topup')
        .reduce((s, e) => s + e.amount, 0);
      const charged = tasks.filter((t) => t.key === key).reduce((s, t) => s + t.charged, 0);
      expect(rec.credits + charged).toBe(granted);
      expect(rec.held).toBe(0);
    }
    const catalog = loadCatalog();
    for (const t of tasks) {
      const price = catalog.resolve(t.subModel)!.subModel.credits * t.numImages;
      expect(t.charged).toBe(t.status === 'COMPLETED' ? price : 0);
    }
  });

  it('a price override in the config is what is charged and what the models route shows', async () => {
    sim = await startTestSim({ config: { models: { 'imagen-4': { credits: { imagen4: 10 }, failure_rate: 0 } } } });
    const model = await sim.call<Envelope<ModelInfo>>('GET', '/api/v1/models/imagen-4');
    expect(model.body.data.credits).toBe(10);
    expect(model.body.data.sub_models).toEqual([
      { id: 'imagen4-fast', credits: 4 },
      { id: 'imagen4', credits: 10 },
      { id: 'imagen4-ultra', credits: 12 },
    ]);
    const submit = await sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_IMAGEN });
    expect(submit.body.data.credits_held).toBe(10);
    await drain(sim);
    const done = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${submit.body.data.task_id}`)).body.data;
    expect(done).toMatchObject({ status: 'COMPLETED', credits_charged: 10, credits_held: 0 });
    expect(await credits()).toEqual({ balance: 9_990, held: 0, available: 9_990 });
  });
});

describe('an instance that died between moving the credits and recording the task', () => {
  it('leaves a task that the next poll finishes, with the credits moved once', async () => {
    const { createSimulator } = await import('../../src/simulator.js');
    const s = await createSimulator({ clock: 'manual', config: { models: { 'imagen-4': { failure_rate: 0 } } } });
    try {
      const key = (await s.store.getKey('aio_dev_key'))!;
      const { task } = await s.service.submit(key, { model: 'imagen4', prompt: 'a bowl of ramen' }, undefined);
      await s.clock.advance(0); // dispatched to node47
      // What the dead instance got done: the capture, and nothing after it.
      expect(await s.store.settle(task.id, 'capture', s.clock.now())).toBe(true);
      await s.clock.advance(60_000);
      const done = (await s.store.getTask(task.id))!;
      expect(done).toMatchObject({ status: 'COMPLETED', held: 0, charged: 8 });
      const ledger = await s.store.ledger('aio_dev_key');
      expect(ledger.filter((e) => e.task_id === task.id).map((e) => e.kind)).toEqual(['hold', 'capture']);
      expect((await s.store.getKey('aio_dev_key'))!.credits).toBe(10_000 - 8);
    } finally {
      await s.close();
    }
  });
});
