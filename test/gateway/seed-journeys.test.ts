import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { SEED_COGVIEW, SEED_IMAGEN, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';

let sim: TestSim;
afterEach(() => sim?.close());

async function credits(s: TestSim) {
  return (await s.call<Envelope<{ balance: number; held: number; available: number }>>('GET', '/api/v1/credits')).body
    .data;
}

async function decode(url: string): Promise<PNG> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/png');
  return PNG.sync.read(Buffer.from(await res.arrayBuffer()));
}

describe('the seed requests, end to end over HTTP', () => {
  it('imagen4 (async): accepted IN_PROGRESS (its node starts it at once, as the docs show), polled to COMPLETED under the manual clock, charged 8', async () => {
    sim = await startTestSim({ config: { models: { 'imagen-4': { failure_rate: 0 } } } });
    const before = await credits(sim);
    const submit = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    expect(submit.status).toBe(200);
    const task = submit.body.data;
    expect(task).toMatchObject({
      status: 'IN_PROGRESS',
      queue_position: null,
      model: 'imagen-4',
      sub_model: 'imagen4',
      node: 'node47',
      credits_held: 8,
    });
    expect(task.task_id).toMatch(/^n47[a-z0-9]+_imagen4$/);
    expect(await credits(sim)).toEqual({ balance: before.balance, held: 8, available: before.balance - 8 });

    const seen = new Set<string>();
    let current = task;
    for (let step = 0; step < 200 && current.status !== 'COMPLETED' && current.status !== 'FAILED'; step++) {
      await sim.clock.advance(100);
      current = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${task.task_id}`)).body.data;
      seen.add(current.status);
    }
    expect(seen).toContain('IN_PROGRESS');
    expect(current.status).toBe('COMPLETED');
    expect(current.credits_charged).toBe(8);
    expect(current.credits_held).toBe(0);
    const took = Date.parse(current.completed_at!) - Date.parse(current.created_at);
    // Seed 1 draws this imagen4 generation at 3276 ms on node47; the manual clock adds nothing to it.
    expect(took).toBe(3276);

    const [image] = current.output!.images;
    const png = await decode(image!.url);
    expect([png.width, png.height]).toEqual([1024, 1024]);
    expect([image!.width, image!.height]).toEqual([1024, 1024]);
    expect(await credits(sim)).toEqual({ balance: before.balance - 8, held: 0, available: before.balance - 8 });
  });

  it('cogview-4 (sync): the POST answers with the finished task once the clock passes its latency', async () => {
    sim = await startTestSim({ config: { models: { 'cogview-4': { failure_rate: 0 } } } });
    const before = await credits(sim);
    const pending = sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', {
      body: { ...SEED_COGVIEW, size: '768*1344' },
    });
    // Advance only once the simulator holds the task: under the manual clock a sync call waits for it.
    for (let i = 0; i < 100 && (await sim.admin.tasks({ model: 'cogview-4' })).length === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    await sim.clock.advance(30_000);
    const reply = await pending;
    expect(reply.status).toBe(200);
    const task = reply.body.data;
    expect(task).toMatchObject({
      status: 'COMPLETED',
      model: 'cogview-4',
      node: 'node48',
      credits_charged: 4,
      credits_held: 0,
    });
    expect(task.task_id).toMatch(/^n48[a-z0-9]+_cogview4$/);
    const png = await decode(task.output!.images[0]!.url);
    expect([png.width, png.height]).toEqual([768, 1344]);
    expect(await credits(sim)).toEqual({ balance: before.balance - 4, held: 0, available: before.balance - 4 });
  });

  it('cogview-4 (sync) on the real clock with a small time scale answers without any clock handling', async () => {
    sim = await startTestSim({
      clock: 'real',
      timeScale: 0.001,
      config: { models: { 'cogview-4': { failure_rate: 0 } } },
    });
    const reply = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_COGVIEW });
    expect(reply.body.data.status).toBe('COMPLETED');
  });

  it('imagen4 with num_images 3 and imagen4-ultra charges 12 × 3, and serves three images', async () => {
    sim = await startTestSim({ config: { models: { 'imagen-4': { failure_rate: 0 } } } });
    const submit = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', {
      body: { model: 'imagen4-ultra', prompt: 'three ramen bowls', aspect_ratio: '16:9', num_images: 3 },
    });
    expect(submit.body.data.credits_held).toBe(36);
    await sim.clock.advance(60_000);
    const done = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${submit.body.data.task_id}`)).body.data;
    expect(done.credits_charged).toBe(36);
    expect(done.output!.images).toHaveLength(3);
    const sizes = await Promise.all(done.output!.images.map(async (i) => (await decode(i.url)).width));
    expect(sizes.every((w) => w > 1024)).toBe(true);
    expect((await credits(sim)).balance).toBe(10_000 - 36);
  });
});
