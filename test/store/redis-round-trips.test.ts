import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { describeRedis, readsProcessed, RedisServer } from '../helpers/redis-server.js';
import { makeTask } from './store-contract.js';

const KEY = { authorization: 'Bearer aio_dev_key', 'content-type': 'application/json' };
const IMAGEN = JSON.stringify({ model: 'imagen4', prompt: 'A bowl of ramen, counted in round trips' });

/** Scripts Redis has run (EVALSHA calls, an EVAL fallback included). */
async function scriptsRun(client: Redis): Promise<number> {
  const stats = await client.info('commandstats');
  let calls = 0;
  for (const m of stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)) calls += Number(m[1]);
  return calls;
}

let redis: RedisServer;
let sim: Simulator;
let probe: Redis;
/** A store of its own (database 1), for commands issued straight to it. */
let store: RedisStore;
let storeProbe: Redis;

describeRedis('the Redis store in round trips', () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
    // Stored steps polled rarely, so the count is the submit's own (the first step runs inside it).
    sim = await startSimulator({ port: 0, store: redis.url(0), config: { steps: { poll_ms: 60_000 } } });
    probe = new Redis(redis.url(0));
    store = await RedisStore.connect(redis.url(1));
    storeProbe = new Redis(redis.url(1));
  }, 30_000);
  afterAll(async () => {
    probe?.disconnect();
    storeProbe?.disconnect();
    await store?.close();
    await sim?.close();
    await redis?.stop();
  });

  /** One imagen4 submit's round trips and scripts, the least of six (a timer of the instance may fall between). */
  async function submitCosts(): Promise<{ trips: number; scripts: number }> {
    const counts: number[] = [];
    const scripts: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = await readsProcessed(probe);
      const scriptsBefore = await scriptsRun(probe);
      const r = await fetch(`${sim.url}/api/v1/images/generations`, { method: 'POST', headers: KEY, body: IMAGEN });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { data: { status: string; node: string } };
      expect(body.data).toMatchObject({ status: 'IN_PROGRESS', node: 'node47' });
      // Less the probe's own two INFOs.
      counts.push((await readsProcessed(probe)) - before - 2);
      scripts.push((await scriptsRun(probe)) - scriptsBefore);
    }
    return { trips: Math.min(...counts), scripts: Math.min(...scripts) };
  }

  // createTask admitting the request (key, rate window, hold, task, first step) and booking the
  // job on the node's book (with its queue position), then the first step's completion with the
  // task's IN_PROGRESS record: 2 scripts, each its own round trip. Before: the node's reserve as
  // a script of its own (3); the record and the completion as two scripts in one pipeline, and
  // authorize on its own (4); before that, the position and next-change reads after reserve, and
  // the record write on its own (6).
  it('takes two round trips and two scripts: admit, create and book the job, then the step completion with the record', async () => {
    expect(await submitCosts()).toEqual({ trips: 2, scripts: 2 });
  });

  // A fault known anywhere may refuse or draw at the node's call, so the call is made as a call:
  // the node's reserve is its own script again, and the task still answers as the node left it.
  it('books the job by the node call when a fault is known (three scripts)', async () => {
    const fault = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'node41', kind: 'latency_multiplier', value: 2 }),
    });
    expect(fault.status).toBe(201);
    try {
      expect(await submitCosts()).toEqual({ trips: 3, scripts: 3 });
    } finally {
      const { id } = (await fault.json()) as { id: string };
      expect((await fetch(`${sim.url}/_sim/faults/${id}`, { method: 'DELETE' })).status).toBe(200);
    }
    expect(await submitCosts()).toEqual({ trips: 2, scripts: 2 });
  });

  it('scripts issued in one tick reach Redis in one read, and each is answered', async () => {
    const counts: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = await readsProcessed(storeProbe);
      const tasks = Array.from({ length: 20 }, (_, i) => makeTask({ id: `cork-${round}-${i}`, status: 'IN_PROGRESS' }));
      await Promise.all(tasks.map((t) => store.putTask(t)));
      // Less the probe's own INFO; the least of three, as the simulator's timers may fall between.
      counts.push((await readsProcessed(storeProbe)) - before - 1);
    }
    expect(Math.min(...counts)).toBe(1);
    expect((await store.getTask('cork-2-19'))?.status).toBe('IN_PROGRESS');
    expect(await store.listTasks({ status: 'IN_PROGRESS' })).toHaveLength(60);
  });

  it('a command after the tick goes out on its own (the socket is uncorked)', async () => {
    await store.putTask(makeTask({ id: 'later-1' }));
    await new Promise((r) => setImmediate(r));
    await store.putTask(makeTask({ id: 'later-2' }));
    expect((await store.getTask('later-2'))?.id).toBe('later-2');
  });
});
