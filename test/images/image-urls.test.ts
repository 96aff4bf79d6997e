import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { SEED_IMAGEN, drain, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';
import type { SimulatorOptions } from '../../src/simulator.js';
import { startReceiver } from '../helpers/receiver.js';

const NO_FAILURES = { models: { 'imagen-4': { failure_rate: 0 } } };

/** Submit the seed imagen4 request and run it to the end: the finished task. */
async function completed(sim: TestSim, body: unknown = SEED_IMAGEN): Promise<TaskView> {
  const reply = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body });
  expect(reply.status).toBe(200);
  await drain(sim);
  const task = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${reply.body.data.task_id}`)).body.data;
  expect(task.status).toBe('COMPLETED');
  return task;
}

async function firstUrl(options: SimulatorOptions): Promise<string> {
  const sim = await startTestSim(options);
  try {
    return new URL((await completed(sim)).output!.images[0]!.url).pathname;
  } finally {
    await sim.close();
  }
}

describe('image URLs carry an unguessable token', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({ config: NO_FAILURES });
  });
  afterAll(() => sim.close());

  it('the URL a task gives serves its PNG, with no key; every guess at it is 404 in the error shape', async () => {
    const task = await completed(sim);
    const other = await completed(sim, { ...SEED_IMAGEN, num_images: 2 });
    const url = new URL(task.output!.images[0]!.url);
    const [, , id, token, file] = url.pathname.split('/');
    expect(id).toBe(task.task_id);
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(file).toBe('0.png');

    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');

    const otherToken = new URL(other.output!.images[1]!.url).pathname.split('/')[3]!;
    const flipped = `${token!.slice(0, -1)}${token!.endsWith('A') ? 'B' : 'A'}`;
    for (const guess of [
      `/files/${id}/0.png`,
      `/files/${id}/${flipped}/0.png`,
      `/files/${id}/${token!.slice(0, 10)}/0.png`,
      `/files/${id}/${token}x/0.png`,
      `/files/${id}/${otherToken}/0.png`,
      `/files/${id}/${'A'.repeat(500)}/0.png`,
      `/files/${id}/${token}/1.png`,
      `/files/${other.task_id}/${token}/0.png`,
    ]) {
      const res = await fetch(sim.url + guess);
      expect(res.status, guess.slice(0, 120)).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 404, message: expect.any(String), type: 'not_found_error' } });
    }
  });

  it('the admin task list and the webhook payload give the same, working URL', async () => {
    await sim.admin_('POST', '/reset');
    const rx = await startReceiver();
    try {
      const task = await completed(sim, { ...SEED_IMAGEN, callback_url: rx.url });
      const url = task.output!.images[0]!.url;
      const listed = (await sim.admin_<Array<TaskView>>('GET', '/tasks')).body;
      expect(listed.map((t) => t.output?.images[0]?.url)).toEqual([url]);
      await rx.waitFor(1);
      expect((JSON.parse(rx.received[0]!.body) as Envelope<TaskView>).data.output!.images[0]!.url).toBe(url);
      expect((await fetch(url)).status).toBe(200);
    } finally {
      await rx.close();
    }
  });

  it('each run signs with its own secret; images.url_secret makes the URLs of a fixed seed fixed', async () => {
    const a = await firstUrl({ seed: 3, config: NO_FAILURES });
    const b = await firstUrl({ seed: 3, config: NO_FAILURES });
    expect(a.split('/')[2]).toBe(b.split('/')[2]);
    expect(a).not.toBe(b);
    const fixed = { seed: 3, config: { ...NO_FAILURES, images: { url_secret: 'our-team-fixed-secret' } } };
    expect(await firstUrl(fixed)).toBe(await firstUrl(fixed));
  });
});
