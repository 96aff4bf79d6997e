import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Catalog } from '../../src/catalog/load-catalog.js';
import { ManualClock } from '../../src/clock/clock.js';
import { applyOverrides, parseConfig } from '../../src/config/load-config.js';
import { FaultSet } from '../../src/nodes/faults.js';
import { NodeEmulator, type Job, type JobRequest } from '../../src/nodes/node-emulator.js';
import { NodeService } from '../../src/nodes/node-service.js';
import { paths } from '../../src/paths.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators } from '../../src/spec/validators.js';
import type { JobBook } from '../../src/nodes/job-book.js';
import { MemoryJobBook } from '../../src/store/memory-job-book.js';
import { RedisJobBook } from '../../src/store/redis-job-book.js';
import { describeRedis, RedisServer } from '../helpers/redis-server.js';

const EPOCH = Date.parse('2026-01-01T00:00:00Z');
const N = 2000;
/** Relative tolerance on sampled quantiles: at N = 2000 their standard error is under 2 %. */
const TOLERANCE = 0.1;
const validators = new SpecValidators(loadSpec(paths.nodeSpec), 'node');
const CATALOG = loadCatalog();
const IMAGEN = CATALOG.model('imagen-4')!;

interface Rig {
  clock: ManualClock;
  faults: FaultSet;
  emulator: NodeEmulator;
  service: NodeService;
  errors: unknown[];
}

/** Where each rig's node keeps its jobs: the suite runs once per book (memory, Redis). */
let makeBook: () => JobBook = () => new MemoryJobBook();

function rig(o: { catalog?: Catalog; capacity?: number; seed?: number; timeScale?: number } = {}): Rig {
  const errors: unknown[] = [];
  const clock = new ManualClock(EPOCH, (err) => errors.push(err));
  const faults = new FaultSet(clock);
  const catalog = o.catalog ?? CATALOG;
  const emulator = new NodeEmulator({
    node: catalog.nodes.get('node47')!,
    catalog,
    clock,
    faults,
    seed: o.seed ?? 1,
    timeScale: o.timeScale ?? 1,
    capacity: o.capacity ?? 100_000,
    book: makeBook(),
  });
  return { clock, faults, emulator, service: new NodeService(emulator, catalog, validators), errors };
}

const request = (i: number, over: Partial<JobRequest> = {}): JobRequest => ({
  job_id: `n47job${String(i).padStart(5, '0')}_imagen4`,
  model: 'imagen4',
  prompt: 'A photorealistic bowl of ramen',
  params: { aspect_ratio: '1:1' },
  num_images: 1,
  width: 1024,
  height: 1024,
  ...over,
});

/** Submit N jobs at once, run the clock until all have ended, and return them. */
async function runJobs(r: Rig, n = N): Promise<Job[]> {
  for (let i = 0; i < n; i++) await r.emulator.submit(request(i), 'imagen-4');
  await r.clock.advance(30 * 60_000);
  const jobs = await readAll(r, n);
  expect(jobs.every((j) => j.state === 'succeeded' || j.state === 'failed')).toBe(true);
  expect(r.errors).toEqual([]);
  return jobs;
}

/** Jobs 0..n-1 as the node reads them now. */
async function readAll(r: Rig, n: number): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let i = 0; i < n; i++) {
    const job = await r.emulator.get(request(i).job_id);
    if (!job) throw new Error(`job ${i} is unknown to the node`);
    jobs.push(job);
  }
  return jobs;
}

const durations = (jobs: Job[]) => jobs.map((j) => j.finished_at! - j.started_at!);

/** The nearest-rank empirical quantile. */
function quantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

const within = (actual: number, expected: number, rel = TOLERANCE) => Math.abs(actual - expected) <= rel * expected;

/** Whether k successes of n are consistent with probability p (4 standard deviations). */
const binomialOk = (k: number, n: number, p: number) => Math.abs(k - n * p) <= 4 * Math.sqrt(n * p * (1 - p)) + 1;

/** Every behaviour of the node, on the book `book()` makes (the same tests on memory and on Redis). */
function emulatorSuite(): void {
  describe('NodeEmulator: latency and outcomes from the catalog', () => {
    it(`over ${N} imagen-4 jobs the empirical p5/p95 run times are within ${TOLERANCE * 100}% of the catalog's p5/p95`, async () => {
      const d = durations(await runJobs(rig()));
      const { p5, p95 } = IMAGEN.latency_ms;
      const [q5, q95] = [quantile(d, 0.05), quantile(d, 0.95)];
      expect(within(q5, p5), `p5 ${q5} vs ${p5}`).toBe(true);
      expect(within(q95, p95), `p95 ${q95} vs ${p95}`).toBe(true);
      // Sanity of the shape: the median lies between them, and every duration is positive.
      const q50 = quantile(d, 0.5);
      expect(q50).toBeGreaterThan(q5);
      expect(q50).toBeLessThan(q95);
      expect(Math.min(...d)).toBeGreaterThan(0);
    });

    it(`a latency_multiplier 2 fault doubles the p5/p95 (within ${TOLERANCE * 100}%), job by job`, async () => {
      const base = durations(await runJobs(rig()));
      const slow = rig();
      slow.faults.add({ target: 'node47', kind: 'latency_multiplier', value: 2 });
      const doubled = durations(await runJobs(slow));
      const { p5, p95 } = IMAGEN.latency_ms;
      expect(within(quantile(doubled, 0.05), 2 * p5)).toBe(true);
      expect(within(quantile(doubled, 0.95), 2 * p95)).toBe(true);
      // Same seed, same job ids: each job's draw is the same, only scaled (up to rounding).
      expect(doubled.every((v, i) => Math.abs(v - 2 * base[i]!) <= 1)).toBe(true);
    });

    it('a latency_multiplier on the model (model:imagen-4) scales too; the fault applies to jobs that start while it is in force', async () => {
      const r = rig();
      const fault = r.faults.add({ target: 'model:imagen-4', kind: 'latency_multiplier', value: 3 });
      await r.emulator.submit(request(0), 'imagen-4');
      r.faults.remove(fault.id);
      await r.emulator.submit(request(1), 'imagen-4');
      await r.clock.advance(10 * 60_000);
      const ref = rig();
      await ref.emulator.submit(request(0), 'imagen-4');
      await ref.emulator.submit(request(1), 'imagen-4');
      await ref.clock.advance(10 * 60_000);
      const [a, b] = durations([
        (await r.emulator.get(request(0).job_id))!,
        (await r.emulator.get(request(1).job_id))!,
      ]);
      const [a0, b0] = durations([
        (await ref.emulator.get(request(0).job_id))!,
        (await ref.emulator.get(request(1).job_id))!,
      ]);
      expect(Math.abs(a! - 3 * a0!)).toBeLessThanOrEqual(1);
      expect(b).toBe(b0);
    });

    it(`the failed fraction matches the failure rate (binomial, 4 sd): the catalog's ${IMAGEN.failure.rate} and an override of 0.25`, async () => {
      const jobs = await runJobs(rig());
      const failed = jobs.filter((j) => j.state === 'failed');
      expect(binomialOk(failed.length, N, IMAGEN.failure.rate), `${failed.length} of ${N}`).toBe(true);

      const catalog = applyOverrides(CATALOG, parseConfig({ models: { 'imagen-4': { failure_rate: 0.25 } } }));
      const many = (await runJobs(rig({ catalog }))).filter((j) => j.state === 'failed');
      expect(binomialOk(many.length, N, 0.25), `${many.length} of ${N}`).toBe(true);
      const codes = new Set(CATALOG.file.errors.map((e) => e.code));
      for (const j of many) {
        expect(codes.has(j.error!.type)).toBe(true);
        expect(j.error!.detail).toMatch(/\S/);
        expect(j.result).toBeNull();
      }
      // The error kinds follow their weights loosely: every kind shows up over 500 failures.
      expect(new Set(many.map((j) => j.error!.type))).toEqual(codes);
    });

    it('is deterministic: the same seed gives the same durations and outcomes; another seed does not', async () => {
      const a = await runJobs(rig({ seed: 7 }), 300);
      const b = await runJobs(rig({ seed: 7 }), 300);
      const c = await runJobs(rig({ seed: 8 }), 300);
      expect(durations(a)).toEqual(durations(b));
      expect(a.map((j) => j.state)).toEqual(b.map((j) => j.state));
      expect(durations(a)).not.toEqual(durations(c));
    });

    it("a job's draw does not depend on the node's load: capacity 1 runs each job as long as capacity 100,000 does", async () => {
      const wide = durations(await runJobs(rig(), 50));
      const narrow = rig({ capacity: 1 });
      for (let i = 0; i < 50; i++) await narrow.emulator.submit(request(i), 'imagen-4');
      await narrow.clock.advance(24 * 3600_000);
      expect(durations(await readAll(narrow, 50))).toEqual(wide);
    });

    it('time scale multiplies durations', async () => {
      const base = durations(await runJobs(rig(), 100));
      const fast = durations(await runJobs(rig({ timeScale: 0.01 }), 100));
      expect(fast.every((v, i) => Math.abs(v - base[i]! * 0.01) <= 1)).toBe(true);
    });
  });

  describe('NodeEmulator: jobs, queue and health', () => {
    it('is idempotent on job_id: a second submit returns the same job and runs nothing more', async () => {
      const r = rig({ capacity: 4 });
      const first = await r.emulator.submit(request(1), 'imagen-4');
      await r.clock.advance(100);
      const again = await r.emulator.submit(request(1, { prompt: 'something else', num_images: 3 }), 'imagen-4');
      expect(again).toEqual(first);
      expect(await r.emulator.health()).toMatchObject({ running: 1, queued: 0 });
      await r.clock.advance(10 * 60_000);
      const done = (await r.emulator.get(request(1).job_id))!;
      expect(done.result?.images ?? []).toHaveLength(done.state === 'succeeded' ? 1 : 0);
      expect(await r.emulator.submit(request(1), 'imagen-4')).toEqual(done);
    });

    it('health counts capacity, running and queued jobs; a non-outage fault makes it degraded', async () => {
      const catalog = applyOverrides(
        CATALOG,
        parseConfig({ models: { 'imagen-4': { latency_ms: { p5: 1000, p95: 1000 }, failure_rate: 0 } } }),
      );
      const r = rig({ catalog, capacity: 2 });
      expect(await r.emulator.health()).toEqual({ status: 'ok', node: 'node47', capacity: 2, running: 0, queued: 0 });
      const jobs: Job[] = [];
      for (const i of [0, 1, 2, 3, 4]) jobs.push(await r.emulator.submit(request(i), 'imagen-4'));
      expect(jobs.map((j) => [j.state, j.queue_position])).toEqual([
        ['running', null],
        ['running', null],
        ['queued', 1],
        ['queued', 2],
        ['queued', 3],
      ]);
      expect(await r.emulator.health()).toEqual({ status: 'ok', node: 'node47', capacity: 2, running: 2, queued: 3 });
      await r.clock.advance(1000);
      expect(await r.emulator.health()).toMatchObject({ running: 2, queued: 1 });
      expect((await r.emulator.get(request(4).job_id))!.queue_position).toBe(1);
      r.faults.add({ target: 'node47', kind: 'error_rate', value: 0.5 });
      expect((await r.emulator.health()).status).toBe('degraded');
      await r.clock.advance(2000);
      expect(await r.emulator.health()).toMatchObject({ running: 0, queued: 0 });
      const reply = await r.service.health();
      expect(reply).toMatchObject({ status: 200 });
      expect(validators.response('/v1/health', 'get', 200)!('body' in reply ? reply.body : undefined)).toBe(true);
    });

    it('the timeline is fixed on acceptance: nextChangeAt is the start while queued, the finish while running, then nothing', async () => {
      const catalog = applyOverrides(
        CATALOG,
        parseConfig({ models: { 'imagen-4': { latency_ms: { p5: 1000, p95: 1000 }, failure_rate: 0 } } }),
      );
      const r = rig({ catalog, capacity: 1 });
      const [a, b] = [request(0).job_id, request(1).job_id];
      await r.emulator.submit(request(0), 'imagen-4');
      await r.emulator.submit(request(1), 'imagen-4');
      expect([await r.emulator.nextChangeAt(a), await r.emulator.nextChangeAt(b)]).toEqual([
        EPOCH + 1000,
        EPOCH + 1000,
      ]);
      // A fault posted after acceptance does not move an accepted job (documented in the README).
      r.faults.add({ target: 'node47', kind: 'latency_multiplier', value: 5 });
      await r.clock.advance(1000);
      expect(await r.emulator.get(a)).toMatchObject({ state: 'succeeded', finished_at: EPOCH + 1000 });
      expect(await r.emulator.get(b)).toMatchObject({ state: 'running', started_at: EPOCH + 1000 });
      expect(await r.emulator.nextChangeAt(b)).toBe(EPOCH + 2000);
      await r.clock.advance(1000);
      expect(await r.emulator.get(b)).toMatchObject({ state: 'succeeded', finished_at: EPOCH + 2000 });
      expect([await r.emulator.nextChangeAt(b), await r.emulator.nextChangeAt('n47nope_imagen4')]).toEqual([
        undefined,
        undefined,
      ]);
    });

    it('a queued job that starts while a fault known at acceptance is in force gets it: a timed capacity and latency fault', async () => {
      const catalog = applyOverrides(
        CATALOG,
        parseConfig({ models: { 'imagen-4': { latency_ms: { p5: 1000, p95: 1000 }, failure_rate: 0 } } }),
      );
      const r = rig({ catalog, capacity: 2 });
      // From 500 ms to 3000 ms the node runs one job at a time, each 3 times slower.
      r.faults.add({ target: 'node47', kind: 'capacity', value: 1, start_ms: 500, duration_ms: 2500 });
      r.faults.add({ target: 'node47', kind: 'latency_multiplier', value: 3, start_ms: 500, duration_ms: 2500 });
      for (let i = 0; i < 4; i++) await r.emulator.submit(request(i), 'imagen-4');
      const jobs = await readAll(r, 4);
      expect(jobs.map((j) => [j.state, j.queue_position])).toEqual([
        ['running', null],
        ['running', null],
        ['queued', 1],
        ['queued', 2],
      ]);
      // Job 2: both slots free at 1000, but the room is 1 then: it starts at 1000, under the 3× fault.
      // Job 3: the room is 1 until 3000, when it is 2 again with job 2 running to 4000: it starts at 3000, after the faults.
      expect([
        await r.emulator.nextChangeAt(request(2).job_id),
        await r.emulator.nextChangeAt(request(3).job_id),
      ]).toEqual([EPOCH + 1000, EPOCH + 3000]);
      await r.clock.advance(10_000);
      const done = await readAll(r, 4);
      expect(done.map((j) => [j.started_at! - EPOCH, j.finished_at! - EPOCH])).toEqual([
        [0, 1000],
        [0, 1000],
        [1000, 4000],
        [3000, 4000],
      ]);
    });

    it('capacity 0 with no end holds jobs queued with positions and no next change; removing it starts them in FIFO order', async () => {
      const catalog = applyOverrides(
        CATALOG,
        parseConfig({ models: { 'imagen-4': { latency_ms: { p5: 1000, p95: 1000 }, failure_rate: 0 } } }),
      );
      const r = rig({ catalog, capacity: 1 });
      const fault = r.faults.add({ target: 'node47', kind: 'capacity', value: 0 });
      for (let i = 0; i < 3; i++) await r.emulator.submit(request(i), 'imagen-4');
      await r.clock.advance(60_000);
      expect((await readAll(r, 3)).map((j) => [j.state, j.queue_position])).toEqual([
        ['queued', 1],
        ['queued', 2],
        ['queued', 3],
      ]);
      expect(await r.emulator.health()).toMatchObject({ running: 0, queued: 3 });
      expect(await r.emulator.nextChangeAt(request(0).job_id)).toBeUndefined();
      r.faults.remove(fault.id);
      const now = r.clock.now();
      expect((await readAll(r, 3)).map((j) => [j.state, j.queue_position])).toEqual([
        ['running', null],
        ['queued', 1],
        ['queued', 2],
      ]);
      expect(await r.emulator.health()).toMatchObject({ running: 1, queued: 2 });
      expect(await r.emulator.nextChangeAt(request(2).job_id)).toBe(now + 2000);
    });

    it('reset forgets every job', async () => {
      const r = rig({ capacity: 1 });
      await r.emulator.submit(request(0), 'imagen-4');
      await r.emulator.submit(request(1), 'imagen-4');
      await r.emulator.reset();
      expect(await r.emulator.get(request(0).job_id)).toBeUndefined();
      expect(await r.emulator.health()).toMatchObject({ running: 0, queued: 0 });
    });
  });

  describe('NodeService: the node API as calls', () => {
    const check = (path: string, method: string, status: number, body: unknown) => {
      const validate = validators.response(path, method, status);
      expect(validate, `${method} ${path} ${status} declared`).toBeDefined();
      expect(validate!(body), validators.describe(validate!)).toBe(true);
    };

    it('accepts a job (202) and reads it back (200), both as the spec says', async () => {
      const r = rig();
      const reply = await r.service.submitJob(request(1));
      expect(reply).toMatchObject({ status: 202 });
      const body = (reply as { body: Job }).body;
      check('/v1/jobs', 'post', 202, body);
      expect(body).toMatchObject({
        id: request(1).job_id,
        model: 'imagen4',
        state: 'running',
        started_at: EPOCH,
        submitted_at: EPOCH,
      });
      const got = await r.service.getJob(request(1).job_id);
      expect(got).toEqual({ status: 200, body });
      check('/v1/jobs/{job_id}', 'get', 200, (got as { body: unknown }).body);
    });

    it('an unknown job is 404 not_found', async () => {
      const reply = await rig().service.getJob('nope');
      expect(reply).toMatchObject({ status: 404, body: { error: { type: 'not_found' } } });
      check('/v1/jobs/{job_id}', 'get', 404, (reply as { body: unknown }).body);
    });

    it('a model the node does not serve is 400 unsupported_model; a malformed job is 400 invalid_request', async () => {
      const r = rig();
      const other = await r.service.submitJob(request(1, { model: 'cogview-4' }));
      expect(other).toMatchObject({ status: 400, body: { error: { type: 'unsupported_model' } } });
      expect((other as { body: { error: { detail: string } } }).body.error.detail).toMatch(/node47.*cogview-4/);
      check('/v1/jobs', 'post', 400, (other as { body: unknown }).body);
      const unknown = await r.service.submitJob(request(2, { model: 'no-such-model' }));
      expect(unknown).toMatchObject({ status: 400, body: { error: { type: 'unsupported_model' } } });
      const { prompt: _p, ...noPrompt } = request(3);
      const bad = await r.service.submitJob(noPrompt);
      expect(bad).toMatchObject({ status: 400, body: { error: { type: 'invalid_request' } } });
      expect((bad as { body: { error: { detail: string } } }).body.error.detail).toMatch(/prompt/);
      check('/v1/jobs', 'post', 400, (bad as { body: unknown }).body);
      expect(await r.service.submitJob([1, 2])).toMatchObject({ status: 400 });
      expect(await r.emulator.health()).toMatchObject({ running: 0, queued: 0 });
    });

    it('error_rate 1 → every call but health answers 503 node_unavailable with Retry-After; error_rate 0 → none', async () => {
      const r = rig();
      const ok = await r.service.submitJob(request(0));
      const fault = r.faults.add({ target: 'node47', kind: 'error_rate', value: 1 });
      const reply = await r.service.submitJob(request(1));
      expect(reply).toMatchObject({
        status: 503,
        headers: { 'Retry-After': '1' },
        body: { error: { type: 'node_unavailable' } },
      });
      check('/v1/jobs', 'post', 503, (reply as { body: unknown }).body);
      expect(await r.service.getJob(request(0).job_id)).toMatchObject({ status: 503 });
      expect(await r.service.health()).toMatchObject({ status: 200, body: { status: 'degraded' } });
      expect(await r.emulator.get(request(1).job_id)).toBeUndefined();
      r.faults.remove(fault.id);
      r.faults.add({ target: 'node47', kind: 'error_rate', value: 0 });
      expect(await r.service.getJob(request(0).job_id)).toEqual({ status: 200, body: (ok as { body: Job }).body });
    });

    it('error_rate 0.3 fails about 30% of calls (binomial, 4 sd), the same calls under the same seed', async () => {
      const outcomes = async (seed: number) => {
        const r = rig({ seed });
        r.faults.add({ target: 'node47', kind: 'error_rate', value: 0.3 });
        const statuses: number[] = [];
        for (let i = 0; i < 1000; i++)
          statuses.push(((await r.service.submitJob(request(i))) as { status: number }).status);
        return statuses;
      };
      const a = await outcomes(3);
      expect(binomialOk(a.filter((s) => s === 503).length, 1000, 0.3)).toBe(true);
      expect(a.every((s) => s === 503 || s === 202)).toBe(true);
      expect(await outcomes(3)).toEqual(a);
    });

    it('outage → every call is dropped; timeout → every call hangs; both end with the fault', async () => {
      const r = rig();
      await r.service.submitJob(request(0));
      const outage = r.faults.add({ target: 'node47', kind: 'outage', duration_ms: 5000 });
      expect(await r.service.submitJob(request(1))).toEqual({ drop: true });
      expect(await r.service.getJob(request(0).job_id)).toEqual({ drop: true });
      expect(await r.service.health()).toEqual({ drop: true });
      await r.clock.advance(5000);
      expect(r.faults.list()).not.toContainEqual(outage);
      expect(await r.service.getJob(request(0).job_id)).toMatchObject({ status: 200 });

      const timeout = r.faults.add({ target: 'node47', kind: 'timeout' });
      expect(await r.service.submitJob(request(2))).toEqual({ hang: true });
      expect(await r.service.getJob(request(0).job_id)).toEqual({ hang: true });
      expect(await r.service.health()).toEqual({ hang: true });
      // An outage wins over a timeout.
      r.faults.add({ target: 'node47', kind: 'outage' });
      expect(await r.service.submitJob(request(3))).toEqual({ drop: true });
      r.faults.clear();
      expect(r.faults.list()).toEqual([]);
      expect(r.faults.active('node47')).toEqual([]);
      expect(timeout.id).toMatch(/^flt_/);
      expect(await r.service.submitJob(request(4))).toMatchObject({ status: 202 });
    });

    it('a fault on model:imagen-4 hits submits of that model only; a fault on another node hits nothing here', async () => {
      const r = rig();
      await r.service.submitJob(request(0));
      r.faults.add({ target: 'model:imagen-4', kind: 'outage' });
      r.faults.add({ target: 'node48', kind: 'outage' });
      expect(await r.service.submitJob(request(1))).toEqual({ drop: true });
      expect(await r.service.submitJob(request(2, { model: 'imagen4-ultra' }))).toEqual({ drop: true });
      expect(await r.service.submitJob(request(3, { model: 'nano-banana' }))).toMatchObject({ status: 202 });
      expect(await r.service.getJob(request(0).job_id)).toMatchObject({ status: 200 });
      expect(await r.service.health()).toMatchObject({ status: 200, body: { status: 'ok' } });
    });

    it('a fault starting later (start_ms) is not in force before it starts', async () => {
      const r = rig();
      r.faults.add({ target: 'node47', kind: 'outage', start_ms: 1000, duration_ms: 1000 });
      expect(await r.service.submitJob(request(0))).toMatchObject({ status: 202 });
      await r.clock.advance(1000);
      expect(await r.service.submitJob(request(1))).toEqual({ drop: true });
      await r.clock.advance(1000);
      expect(await r.service.submitJob(request(2))).toMatchObject({ status: 202 });
      expect(r.faults.list()).toEqual([]);
    });
  });
}

describe('on the memory job book', () => {
  beforeAll(() => {
    makeBook = () => new MemoryJobBook();
  });
  emulatorSuite();
});

describeRedis('on the Redis job book (real redis-server)', () => {
  let server: RedisServer;
  let client: Redis;
  let n = 0;
  beforeAll(async () => {
    server = await RedisServer.start();
    client = new Redis(server.url(0), { lazyConnect: false });
    makeBook = () => new RedisJobBook(client, `gwsim-test:${process.pid}:book${++n}:`, 'node47');
  });
  afterAll(async () => {
    makeBook = () => new MemoryJobBook();
    await client?.quit();
    await server?.stop();
  });
  emulatorSuite();
});
