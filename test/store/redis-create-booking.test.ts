import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeRedis, RedisServer } from '../helpers/redis-server.js';
import { leftBy, SEED_IMAGEN, snapshot, startTestSim, type TestSim } from '../helpers/sim.js';

/**
 * A submit on the Redis store books its first job on the node's job book inside the create's
 * script (the node call then makes none). Checked from the outside: the task answers as the
 * node left it, the node holds exactly the jobs of its tasks, and a refused submit books nothing.
 */
let redis: RedisServer;
let sim: TestSim;

interface TaskData {
  task_id: string;
  status: string;
  node: string;
  queue_position: number | null;
  started_at: string | null;
}

describeRedis('a submit books its job with the create (Redis store)', () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
    // The Redis store runs on the real clock; at time scale 1 an imagen-4 job runs for seconds, so the
    // node's counts hold still through each test.
    sim = await startTestSim({ store: redis.url(0), clock: 'real' });
  }, 30_000);
  afterAll(async () => {
    await sim?.close();
    await redis?.stop();
  });
  beforeEach(async () => {
    expect((await sim.admin_('POST', '/reset')).status).toBe(200);
  });

  it('answers the task as the node took it, and the node holds its job', async () => {
    const r = await sim.call<{ data: TaskData }>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ status: 'IN_PROGRESS', node: 'node47', queue_position: null });
    expect(r.body.data.started_at).not.toBeNull();
    expect((await snapshot(sim)).jobs).toEqual({ node47: '1/0' });
    // The read-through asks the node for the job the create booked: the same task.
    const read = await sim.call<{ data: TaskData }>('GET', `/api/v1/tasks/${r.body.data.task_id}`);
    expect(read.body.data).toMatchObject({ status: 'IN_PROGRESS', node: 'node47' });
  });

  it('at time scale 0.001 the booked job ends on the node, and the task with it', async () => {
    const fast = await startTestSim({ store: redis.url(1), clock: 'real', timeScale: 0.001 });
    try {
      const r = await fast.call<{ data: TaskData }>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
      expect(r.status).toBe(200);
      let status = r.body.data.status;
      // imagen-4's run is at most seconds × 0.001; 200 reads of 10 ms bound the wait.
      for (let i = 0; i < 200 && (status === 'IN_QUEUE' || status === 'IN_PROGRESS'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        status = (await fast.call<{ data: TaskData }>('GET', `/api/v1/tasks/${r.body.data.task_id}`)).body.data.status;
      }
      expect(['COMPLETED', 'FAILED']).toContain(status);
      expect((await snapshot(fast)).jobs).toEqual({});
      expect((await snapshot(fast)).credits.held).toBe(0);
    } finally {
      await fast.close();
    }
  });

  it('a submit refused for credits books nothing on the node', async () => {
    const key = await sim.admin_<{ key: string }>('POST', '/keys', { credits: 4 });
    expect(key.status).toBe(201);
    const before = await snapshot(sim, key.body.key);
    const r = await sim.call('POST', '/api/v1/images/generations', { body: SEED_IMAGEN, key: key.body.key });
    expect(r.status).toBe(402);
    expect(await snapshot(sim, key.body.key)).toEqual(leftBy(before, r, key.body.key));
  });

  it('a duplicate of an idempotent submit books nothing more', async () => {
    const headers = { 'idempotency-key': 'book-once' };
    const first = await sim.call<{ data: TaskData }>('POST', '/api/v1/images/generations', {
      body: SEED_IMAGEN,
      headers,
    });
    expect(first.status).toBe(200);
    const before = await snapshot(sim);
    expect(before.jobs).toEqual({ node47: '1/0' });
    const again = await sim.call<{ data: TaskData }>('POST', '/api/v1/images/generations', {
      body: SEED_IMAGEN,
      headers,
    });
    expect(again.body.data.task_id).toBe(first.body.data.task_id);
    expect(await snapshot(sim)).toEqual(leftBy(before, again));
  });

  it('queues as the node queues: capacity lowered to 1, the second task waits first in line', async () => {
    const fault = await sim.admin_<{ id: string }>('POST', '/faults', { target: 'node47', kind: 'capacity', value: 1 });
    expect(fault.status).toBe(201);
    // A fault known: these submits call the node (three scripts); removed, the next books with the create.
    const a = await sim.call<{ data: TaskData }>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    expect(a.body.data.status).toBe('IN_PROGRESS');
    expect((await sim.admin_('DELETE', `/faults/${fault.body.id}`)).status).toBe(200);
    const b = await sim.call<{ data: TaskData }>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    // node47 runs many at once again: the booked job starts at once beside the first.
    expect(b.body.data).toMatchObject({ status: 'IN_PROGRESS', node: 'node47', queue_position: null });
    expect((await snapshot(sim)).jobs).toEqual({ node47: '2/0' });
  });
});
