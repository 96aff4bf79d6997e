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
const CATALOG = loadCatalog();
const IMAGEN = CATALOG.model('imagen-4')!;
const RATE = IMAGEN.failure.rate;
const POLL_MS = [250, 500, 1000, 2000];
const STEP_POLL_MS = 5;
const LEASE_MS = 500;
/** How often the test looks at the store (as an observer: no read-through GET moves a task). */
const WATCH_MS = 5;
/** The standard normal's quantile for a tail of 1e-6 shared by all tasks: a run outside it is not chance. */
const Z_TAIL = 5.73; // Φ⁻¹(1 − 1e-6 / 200 / 2) ≈ 5.73

/** The run times (ms, at SCALE) the catalog's lognormal latency allows for imagen-4, to that tail. */
function runBounds(): { min: number; max: number } {
  const { p5, p95 } = IMAGEN.latency_ms;
  const mu = (Math.log(p5) + Math.log(p95)) / 2;
  const sigma = (Math.log(p95) - Math.log(p5)) / (2 * 1.6448536269514722);
  return { min: Math.exp(mu - Z_TAIL * sigma) * SCALE, max: Math.exp(mu + Z_TAIL * sigma) * SCALE };
}

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

  it(`${TASKS} imagen-4 tasks spread over both end at the single-instance rate (no queueing on an unsaturated node, each end seen within the poll schedule), none node_lost, FAILED within the binomial bound of the catalog's rate; both instances and the node agree`, async () => {
    const config = {
      rate_limit: { requests: 1_000_000, window_s: 1 },
      steps: { poll_ms: STEP_POLL_MS, lease_ms: LEASE_MS },
      routing: { poll_ms: POLL_MS },
    };
    for (let i = 0; i < 2; i++)
      sims.push(await startSimulator({ port: 0, store: redis.url(0), timeScale: SCALE, config }));
    const [a, b] = sims as [Simulator, Simulator];
    const store = await RedisStore.connect(redis.url(0));
    try {
      // Watch the store, not the API (a GET reads through and would end the task itself), from
      // the first submit on: when does each end show, moved only by the instances' own polls?
      const seenAt = new Map<string, number>();
      let submitting = true;
      const watch = async () => {
        // Bounded: a look every WATCH_MS for at most 30 s.
        let lastLook = Date.now();
        for (let look = 0; look < 30_000 / WATCH_MS && (submitting || seenAt.size < TASKS); look++) {
          const thisLook = Date.now();
          const ended = [
            ...(await store.listTasks({ status: 'COMPLETED' })),
            ...(await store.listTasks({ status: 'FAILED' })),
          ];
          // An end first seen now was written after the last look began: the observer's own time
          // (a look reads every task) is not counted against the instances.
          for (const t of ended) if (!seenAt.has(t.id)) seenAt.set(t.id, lastLook);
          lastLook = thisLook;
          await pause(WATCH_MS);
        }
      };
      const watching = watch();
      const ids: string[] = [];
      try {
        for (let i = 0; i < TASKS; i++) {
          const r = await fetch(`${(i % 2 ? b : a).url}/api/v1/images/generations`, {
            method: 'POST',
            headers: KEY,
            body: JSON.stringify({ model: 'imagen4', prompt: `a shared gateway, task ${i}` }),
          });
          expect(r.status).toBe(200);
          ids.push(((await r.json()) as TaskBody).data!.task_id);
        }
      } finally {
        submitting = false;
      }
      await watching;
      expect(ids.filter((id) => !seenAt.has(id))).toEqual([]);

      const views = await Promise.all(ids.map(async (id, i) => (await read(i % 2 ? a : b, id))!));
      const failed = views.filter((t) => t.status === 'FAILED');
      expect(views.filter((t) => t.status !== 'COMPLETED' && t.status !== 'FAILED')).toEqual([]);
      expect(failed.filter((t) => t.error?.code === 'node_lost')).toEqual([]);
      const bound = binomialBound(TASKS, RATE);
      expect(
        failed.length,
        `${failed.length} of ${TASKS} failed; at ${RATE} more than ${bound} is not chance`,
      ).toBeLessThanOrEqual(bound);

      // The single-instance rate. The node was never full (fewer than its catalog capacity in
      // flight at any start, from the shared book's timelines), so no job could wait for a slot:
      // each started as it was taken, as on one instance; each ran as long as the catalog's
      // latency allows; and the ends were recorded by the instances' own polls within the
      // schedule (its longest gap between polls plus a claim period) for the median task, and
      // for 95% of them sooner than a lost step's lease.
      const capacity = CATALOG.nodes.get('node47')!.capacity;
      const booked = await Promise.all(
        views.map(async (t) => (await store.jobBook(t.node).read(t.task_id, Date.now()))!.job),
      );
      const spans = booked.map((j) => [j.startAt ?? Infinity, j.finishAt ?? Infinity] as const);
      const peak = Math.max(...spans.map(([s]) => spans.filter(([s2, f2]) => s2 <= s && s < f2).length));
      expect(peak, 'jobs in flight at once').toBeLessThan(capacity);
      const runs = runBounds();
      for (const j of booked) {
        expect(j.finishAt! - j.startAt!, j.id).toBeGreaterThanOrEqual(Math.floor(runs.min));
        expect(j.finishAt! - j.startAt!, j.id).toBeLessThanOrEqual(Math.ceil(runs.max));
      }
      const schedule = Math.max(...POLL_MS) * SCALE + STEP_POLL_MS;
      const lags = booked.map((j) => seenAt.get(j.id)! - j.finishAt!).sort((x, y) => x - y);
      const at = (q: number) => lags[Math.floor(lags.length * q)]!;
      const all = `all, ms from a job's end to its record: ${lags.join(' ')}`;
      expect(at(0.5), `median; ${all}`).toBeLessThanOrEqual(schedule);
      expect(at(0.95), `95th percentile; ${all}`).toBeLessThan(LEASE_MS);

      // Either instance says the same; the node's own book (what any instance's emulator reads) agrees.
      const fromA = await Promise.all(ids.map(async (id) => (await read(a, id))!.status));
      expect(fromA).toEqual(views.map((t) => t.status));
      for (const t of views) {
        const got = await store.jobBook(t.node).read(t.task_id, Date.now());
        expect(got, t.task_id).toBeDefined();
        const phase = jobPhase(got!.job, Date.now());
        expect(phase === 'succeeded' ? 'COMPLETED' : phase === 'failed' ? 'FAILED' : phase).toBe(t.status);
      }
    } finally {
      await store.close();
    }
  }, 60_000);
});
