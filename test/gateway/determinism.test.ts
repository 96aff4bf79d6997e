import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/config/config-schema.js';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import type { TaskView } from '../../src/gateway/task.js';
import { drain, settling, startTestSim, type Envelope } from '../helpers/sim.js';

/** Every model fails half the time, so outcomes are up to the seed. */
// A fixed URL secret: image URLs are part of what must repeat (without one each run signs its own).
const CONFIG: ConfigFile = {
  models: Object.fromEntries(loadCatalog().models.map((m) => [m.id, { failure_rate: 0.5 }])),
  images: { url_secret: 'determinism-url-secret' },
};

/** A request sequence over every model; numbers are clock advances (ms) between submits. */
const SEQUENCE: Array<Record<string, unknown> | number> = [
  { model: 'imagen4', prompt: 'a red bicycle against a white wall', aspect_ratio: '1:1' },
  { model: 'imagen4-fast', prompt: 'two owls on a branch', aspect_ratio: '16:9', num_images: 2 },
  { model: 'flux-2', prompt: 'a glass teapot', resolution: '1K', type: 'flex' },
  { model: 'cogview-4', prompt: 'a paper crane', size: '768*1344', quality: 'standard' },
  1_500,
  { model: 'qwen-image', prompt: 'a bowl of cherries', size: '1328*1328' },
  { model: 'seedream', prompt: 'a mountain lake at dawn', resolution: '1K', aspect_ratio: '4:3' },
  { model: 'sd3.5-large-turbo', prompt: 'a lighthouse in fog' },
  700,
  { model: 'nano-banana', prompt: 'a banana spaceship' },
  { model: 'recraft-v3', prompt: 'a vector fox', style: 'vector_illustration' },
  { model: 'ideogram-v3-turbo', prompt: 'a neon sign that says hello', num_images: 2 },
  { model: 'cogview-4', prompt: 'a bonsai tree in a pot' },
  { model: 'flux-kontext', prompt: 'a cat wearing sunglasses', input_urls: ['http://127.0.0.1:9/cat.png'] },
  3_000,
  { model: 'gpt-image', prompt: 'an isometric city block' },
  { model: 'imagen4-ultra', prompt: 'a snow globe with a tiny town', num_images: 3 },
  { model: 'imagen-4', prompt: 'a field of sunflowers', seed: 42 },
];

interface Run {
  submits: Array<{ status: number; data: unknown }>;
  tasks: unknown[];
  images: string[];
}

/** The base URL differs between servers; everything else must not. */
const rebase = (view: TaskView, base: string): TaskView =>
  JSON.parse(JSON.stringify(view).split(base).join('BASE')) as TaskView;

async function run(seed: number): Promise<Run> {
  const sim = await startTestSim({ seed, config: CONFIG });
  try {
    const submits: Run['submits'] = [];
    const ids: string[] = [];
    for (const step of SEQUENCE) {
      if (typeof step === 'number') {
        await sim.clock.advance(step);
        continue;
      }
      const reply = await settling(
        sim,
        sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: step }),
        30_000,
      );
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      submits.push({ status: reply.status, data: rebase(reply.body.data, sim.url) });
      ids.push(reply.body.data.task_id);
    }
    await drain(sim, 5_000, 200);
    const tasks: TaskView[] = [];
    const images: string[] = [];
    for (const id of ids) {
      const view = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${id}`)).body.data;
      tasks.push(rebase(view, sim.url));
      for (const image of view.output?.images ?? []) {
        const res = await fetch(image.url);
        expect(res.status).toBe(200);
        images.push(
          `${id} ${createHash('sha256')
            .update(Buffer.from(await res.arrayBuffer()))
            .digest('hex')}`,
        );
      }
    }
    return { submits, tasks, images };
  } finally {
    await sim.close();
  }
}

describe('determinism', () => {
  it('the same seed and request sequence give the same ids, timings, outcomes and image bytes', async () => {
    const a = await run(7);
    const b = await run(7);
    expect(b.submits).toEqual(a.submits);
    expect(b.tasks).toEqual(a.tasks);
    expect(b.images).toEqual(a.images);

    // The run is worth comparing: both outcomes occur, with real timings and images.
    const views = a.tasks as TaskView[];
    const statuses = new Set(views.map((t) => t.status));
    expect(statuses).toEqual(new Set(['COMPLETED', 'FAILED']));
    for (const t of views) {
      expect(t.started_at).not.toBeNull();
      expect(Date.parse(t.completed_at!)).toBeGreaterThan(Date.parse(t.created_at));
      if (t.status === 'FAILED') expect(t.error?.code).toMatch(/\S/);
    }
    expect(a.images.length).toBeGreaterThan(0);
    expect(new Set(a.images.map((i) => i.split(' ')[1])).size).toBe(a.images.length);
  });

  it('a different seed gives different task ids', async () => {
    const a = await run(7);
    const c = await run(8);
    const idsA = (a.tasks as TaskView[]).map((t) => t.task_id);
    const idsC = (c.tasks as TaskView[]).map((t) => t.task_id);
    expect(idsC).toHaveLength(idsA.length);
    expect(idsC.filter((id) => idsA.includes(id))).toEqual([]);
  });
});
