import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { jobPhase } from '../../src/nodes/job-book.js';
import { startSimulator, type Simulator } from '../../src/simulator.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { describeRedis, RedisServer } from '../helpers/redis-server.js';

// Two plain instances on one Redis, each with its own in-process nodes and no `nodes.<id>.url`:
// the nodes' jobs live in Redis (job books), so either instance answers for any job.
const SCALE = 0.01; // imagen-4 takes 30–80 ms
const TASKS = 200;
const KEY = { authorization: 'Bearer aio_dev_key', 'content-type': 'application/json' };
const RATE = loadCatalog().model('imagen-4')!.failure.rate;

/** The smallest k with P(X > k) < 1e-6 for X ~ Binomial(n, p): more failures than that is not chance. */
function binomialBound(n: number, p: number): number {
  let pmf = (1 - p) ** n; // P(X = 0)
  let cdf = pmf;
  for (let k = 0; k < n; k++) {
    if (1 - cdf < 1e-6) return k;
    pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
    cdf += pmf;
  }
  return n;
}

let redis: RedisServer;
const sims: Simulator[] = [];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
interface TaskBody {
  data: { task_id: string; status: string; node: string; error: { code: string } | null } | null;
}
const read = async (sim: Simulator, id: string) =>
  ((await (await fetch(`${sim.url}/api/v1/tasks/${id}`, { headers: KEY })).json()) as TaskBody).data;

describeRedis('two plain instances on one Redis act as one gateway', () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
  }, 30_000);
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
    await redis?.stop();
  });

  it(`${TASKS} imagen-4 tasks spread over both all end, none node_lost, FAILED within the binomial bound of the catalog's rate; both instances and the node agree`, async () => {
    const config = { rate_limit: { requests: 1_000_000, window_s: 1 }, steps: { poll_ms: 5, lease_ms: 500 } };
    for (let i = 0; i < 2; i++)
      sims.push(await startSimulator({ port: 0, store: redis.url(0), timeScale: SCALE, config }));
    const [a, b] = sims as [Simulator, Simulator];
    const ids: string[] = [];
    for (let i = 0; i < TASKS; i++) {
      const r = await fetch(`${(i % 2 ? b : a).url}/api/v1/images/generations`, {
        method: 'POST',
        headers: KEY,
        body: JSON.stringify({ model: 'imagen4', prompt: `a shared gateway, task ${i}` }),
      });
      expect(r.status).toBe(200);
      ids.push(((await r.json()) as TaskBody).data!.task_id);
    }
    // Read each task from the instance that did not take it, until all have ended (bounded).
    let views: NonNullable<TaskBody['data']>[] = [];
    for (let round = 0; round < 400; round++) {
      views = await Promise.all(ids.map(async (id, i) => (await read(i % 2 ? a : b, id))!));
      if (views.every((t) => t.status === 'COMPLETED' || t.status === 'FAILED')) break;
      await pause(25);
    }
    const failed = views.filter((t) => t.status === 'FAILED');
    expect(views.filter((t) => t.status !== 'COMPLETED' && t.status !== 'FAILED')).toEqual([]);
    expect(failed.filter((t) => t.error?.code === 'node_lost')).toEqual([]);
    const bound = binomialBound(TASKS, RATE);
    expect(
      failed.length,
      `${failed.length} of ${TASKS} failed; at ${RATE} more than ${bound} is not chance`,
    ).toBeLessThanOrEqual(bound);

    // Either instance says the same; the node's own book (what any instance's emulator reads) agrees.
    const fromA = await Promise.all(ids.map(async (id) => (await read(a, id))!.status));
    expect(fromA).toEqual(views.map((t) => t.status));
    const store = await RedisStore.connect(redis.url(0));
    try {
      for (const t of views) {
        const booked = await store.jobBook(t.node).read(t.task_id, Date.now());
        expect(booked, t.task_id).toBeDefined();
        const phase = jobPhase(booked!.job, Date.now());
        expect(phase === 'succeeded' ? 'COMPLETED' : phase === 'failed' ? 'FAILED' : phase).toBe(t.status);
      }
    } finally {
      await store.close();
    }
  }, 60_000);
});
