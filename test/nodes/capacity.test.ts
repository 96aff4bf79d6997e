import { afterEach, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { SEED_IMAGEN, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';
import { sample } from '../metrics/prom.js';

const RUN_MS = 1000;

let sim: TestSim;
afterEach(() => sim?.close());

const read = async (id: string) => (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${id}`)).body.data;
const view = async (ids: string[]) => Promise.all(ids.map(read));
const queueDepth = async () =>
  sample((await sim.admin_<Buffer>('GET', '/metrics')).body.toString('utf8'), 'gwsim_node_queue_depth', {
    node: 'node47',
  });

describe('node capacity: jobs beyond it wait in IN_QUEUE with falling positions', () => {
  it('capacity 2 and 5 imagen4 jobs of exactly 1 s: two run, three wait at positions 1, 2, 3 in submit order; positions fall as jobs finish', async () => {
    sim = await startTestSim({
      config: {
        nodes: { node47: { capacity: 2 } },
        models: { 'imagen-4': { latency_ms: { p5: RUN_MS, p95: RUN_MS }, failure_rate: 0 } },
      },
    });
    const ids: string[] = [];
    const created: Array<[string, number | null]> = [];
    for (let i = 0; i < 5; i++) {
      const res = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', {
        body: { ...SEED_IMAGEN, prompt: `${SEED_IMAGEN.prompt} #${i}` },
      });
      expect(res.status).toBe(200);
      created.push([res.body.data.status, res.body.data.queue_position]);
      ids.push(res.body.data.task_id);
    }
    const t0 = sim.clock.now();
    // The create answer already says what node47 did: IN_PROGRESS while it had room, IN_QUEUE after.
    expect(created).toEqual([
      ['IN_PROGRESS', null],
      ['IN_PROGRESS', null],
      ['IN_QUEUE', 1],
      ['IN_QUEUE', 2],
      ['IN_QUEUE', 3],
    ]);

    let tasks = await view(ids);
    expect(tasks.map((t) => [t.status, t.queue_position])).toEqual([
      ['IN_PROGRESS', null],
      ['IN_PROGRESS', null],
      ['IN_QUEUE', 1],
      ['IN_QUEUE', 2],
      ['IN_QUEUE', 3],
    ]);
    expect(tasks.every((t) => t.node === 'node47')).toBe(true);
    expect(await queueDepth()).toBe(3);
    // The stored task (what /_sim/tasks lists) agrees with the read-through.
    const stored = new Map((await sim.admin.tasks({})).map((t) => [t.id, t]));
    expect(ids.map((id) => stored.get(id)!.queuePosition)).toEqual([null, null, 1, 2, 3]);

    await sim.clock.advance(RUN_MS); // the first two finish; the next two start
    tasks = await view(ids);
    expect(tasks.map((t) => [t.status, t.queue_position])).toEqual([
      ['COMPLETED', null],
      ['COMPLETED', null],
      ['IN_PROGRESS', null],
      ['IN_PROGRESS', null],
      ['IN_QUEUE', 1],
    ]);
    expect(Date.parse(tasks[2]!.started_at!)).toBe(t0 + RUN_MS);
    expect(await queueDepth()).toBe(1);

    await sim.clock.advance(RUN_MS);
    tasks = await view(ids);
    expect(tasks.map((t) => [t.status, t.queue_position])).toEqual([
      ['COMPLETED', null],
      ['COMPLETED', null],
      ['COMPLETED', null],
      ['COMPLETED', null],
      ['IN_PROGRESS', null],
    ]);
    expect(await queueDepth()).toBe(0);

    await sim.clock.advance(RUN_MS);
    tasks = await view(ids);
    expect(tasks.every((t) => t.status === 'COMPLETED' && t.credits_charged === 8)).toBe(true);
    // Each ran exactly RUN_MS once started, and started when a slot freed.
    expect(tasks.map((t) => Date.parse(t.started_at!) - t0)).toEqual([0, 0, RUN_MS, RUN_MS, 2 * RUN_MS]);
    expect(tasks.map((t) => Date.parse(t.completed_at!) - Date.parse(t.started_at!))).toEqual(Array(5).fill(RUN_MS));
  });
});
