import { afterEach, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import type { TaskRow } from '../../src/events/task-row.js';
import {
  DEV,
  ERROR_TYPES,
  SEED_IMAGEN,
  snapshot,
  startTestSim,
  type Envelope,
  type ErrorBody,
  type TestSim,
} from '../helpers/sim.js';

const NO_FAILURES = { models: { 'imagen-4': { failure_rate: 0 }, seedream: { failure_rate: 0 } } };

interface Page {
  tasks: TaskRow[];
  total: number;
  next_cursor: string | null;
}

let sim: TestSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function submit(s: TestSim, body: unknown = SEED_IMAGEN, key = DEV): Promise<TaskView> {
  const reply = await s.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body, key });
  expect(reply.status).toBe(200);
  return reply.body.data;
}

/** The message of an error body, checked to be in the docs' shape with the status's type. */
const messageOf = (body: unknown, status: number): string => {
  expect(body).toEqual({ error: { code: status, message: expect.any(String), type: ERROR_TYPES[status] } });
  return (body as ErrorBody).error.message;
};

describe('GET /_sim/ui', () => {
  it('serves one self-contained page: inline script and style allowed by hash, nothing from elsewhere', async () => {
    sim = await startTestSim();
    const res = await fetch(`${sim.url}/_sim/ui`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    const html = await res.text();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!www\.w3\.org)/);
    for (const id of [
      'fault-target',
      'fault-kind',
      'fault-value',
      'fault-duration',
      'fault-submit',
      'clock-advance-ms',
      'clock-advance',
    ])
      expect(html).toContain(`data-testid="${id}"`);
  });

  it('holds no state, so it is served without the admin token; everything it shows needs the token', async () => {
    sim = await startTestSim({ adminToken: 'tok-18' });
    const page = await fetch(`${sim.url}/_sim/ui`);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(DEV);
    for (const path of ['/_sim/ui/tasks', `/_sim/ui/tasks/x`, '/_sim/events']) {
      const res = await fetch(sim.url + path);
      expect(res.status).toBe(401);
      expect(messageOf(await res.json(), 401)).toContain('GWSIM_ADMIN_TOKEN');
    }
    const ok = await fetch(`${sim.url}/_sim/ui/tasks`, { headers: { authorization: 'Bearer tok-18' } });
    expect(ok.status).toBe(200);
  });
});

describe('GET /_sim/ui/tasks', () => {
  it('pages newest first with next_cursor, filters by status, model and key, and counts the matches', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    await sim.admin.createKey({ key: 'aio_other', credits: 1000 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(sim)).task_id);
    ids.push((await submit(sim, { model: 'seedream', prompt: 'a lighthouse at dusk' }, 'aio_other')).task_id);
    const newest = [...ids].reverse();

    const first = await sim.admin_<Page>('GET', '/ui/tasks?limit=4');
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(6);
    expect(first.body.tasks.map((t) => t.task_id)).toEqual(newest.slice(0, 4));
    // node47 started each at once (the create answer says IN_PROGRESS).
    expect(first.body.tasks[1]).toMatchObject({
      status: 'IN_PROGRESS',
      model: 'imagen-4',
      key: DEV,
      credits_held: 8,
      credits_charged: 0,
    });
    const second = await sim.admin_<Page>('GET', `/ui/tasks?limit=4&cursor=${first.body.next_cursor}`);
    expect(second.body.tasks.map((t) => t.task_id)).toEqual(newest.slice(4));
    expect(second.body.next_cursor).toBeNull();

    expect((await sim.admin_<Page>('GET', '/ui/tasks?key=aio_other')).body).toMatchObject({
      total: 1,
      tasks: [{ task_id: ids[5], model: 'seedream' }],
    });
    // A model alias filters by its model, as GET /_sim/tasks does.
    expect((await sim.admin_<Page>('GET', '/ui/tasks?model=imagen4')).body.total).toBe(5);
    await sim.clock.advance(60_000);
    const done = await sim.admin_<Page>('GET', '/ui/tasks?status=COMPLETED&limit=2');
    expect(done.body.total).toBe(6);
    expect(done.body.tasks.map((t) => t.status)).toEqual(['COMPLETED', 'COMPLETED']);
    expect((await sim.admin_<Page>('GET', '/ui/tasks?status=IN_QUEUE')).body).toEqual({
      tasks: [],
      total: 0,
      next_cursor: null,
    });
  });

  it('gives a waiting task its live place in the node queue', async () => {
    sim = await startTestSim({ config: { ...NO_FAILURES, nodes: { node47: { capacity: 1 } } } });
    const a = await submit(sim);
    const b = await submit(sim);
    const c = await submit(sim);
    await sim.clock.advance(0); // every task reaches node47
    const rows = (await sim.admin_<Page>('GET', '/ui/tasks')).body.tasks;
    const position = (id: string) => rows.find((t) => t.task_id === id)!.queue_position;
    expect([position(a.task_id), position(b.task_id), position(c.task_id)]).toEqual([null, 1, 2]);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['cursor=zzz', 'cursor'],
    ['cursor=99999', 'cursor'],
    ['status=DONE', 'status'],
    ['model=nope', 'model'],
    ['key=a&key=b', 'key'],
    ['stauts=COMPLETED', 'stauts'],
  ])('?%s answers 400 naming %s and changes nothing', async (query, param) => {
    sim = await startTestSim({ config: NO_FAILURES });
    await submit(sim);
    const before = await snapshot(sim);
    const reply = await sim.admin_('GET', `/ui/tasks?${query}`);
    expect(reply.status).toBe(400);
    expect(messageOf(reply.body, 400)).toContain(`'${param}'`);
    expect(await snapshot(sim)).toEqual(before);
  });
});

describe('GET /_sim/ui/tasks/{id}', () => {
  it('gives the task with its attempts, key, images and webhook deliveries; an unknown id is 404', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    const task = await submit(sim, { ...SEED_IMAGEN, callback_url: 'http://127.0.0.1:9/hook' });
    await sim.clock.advance(60_000);
    const reply = await sim.admin_<{
      task: TaskView & { key: string };
      deliveries: Array<{ task_id: string; url: string }>;
    }>('GET', `/ui/tasks/${task.task_id}`);
    expect(reply.status).toBe(200);
    expect(reply.body.task).toMatchObject({
      task_id: task.task_id,
      status: 'COMPLETED',
      key: DEV,
      attempts: [expect.objectContaining({ node: 'node47', outcome: 'accepted' })],
    });
    // The same image URL (with its token) as the task's own key sees on the public API.
    const own = await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${task.task_id}`);
    expect(reply.body.task.output!.images[0]!.url).toBe(own.body.data.output!.images[0]!.url);
    expect(reply.body.task.output!.images[0]!.url).toMatch(
      new RegExp(`^${sim.url}/files/${task.task_id}/[^/]+/0\\.png$`),
    );
    expect(reply.body.deliveries).toEqual([
      expect.objectContaining({ task_id: task.task_id, url: 'http://127.0.0.1:9/hook' }),
    ]);
    const missing = await sim.admin_('GET', '/ui/tasks/n47nope_imagen4');
    expect(missing.status).toBe(404);
    expect(messageOf(missing.body, 404)).toContain('n47nope_imagen4');
  });
});
