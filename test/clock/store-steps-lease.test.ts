import { afterEach, expect, it } from 'vitest';
import { RealClock } from '../../src/clock/clock.js';
import { StoreSteps } from '../../src/clock/steps.js';
import { MemoryStore } from '../../src/store/memory-store.js';

interface Kinds {
  'test.slow': { n: number };
}

const LEASE_MS = 60;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: StoreSteps<Kinds>[] = [];
const errorsSeen: unknown[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  expect(errorsSeen.splice(0)).toEqual([]);
});

/** Two instances' schedulers on one store, each running `test.slow` steps that take `runMs`. */
function twoInstances(store: MemoryStore, runMs: number, runs: string[]) {
  const clock = new RealClock((e) => errorsSeen.push(e));
  const errors: unknown[] = [];
  const make = (name: string) => {
    const steps = new StoreSteps<Kinds>(store, clock, { pollMs: 5, leaseMs: LEASE_MS, batch: 10 }, (e) =>
      errors.push(e),
    );
    steps.on('test.slow', async ({ n }) => {
      runs.push(`${name}:${n}`);
      await pause(runMs);
    });
    open.push(steps);
    return steps;
  };
  return { a: make('a'), b: make('b'), clock, errors };
}

it('a step that runs past its lease on a live instance is not claimed again by another (its lease is renewed)', async () => {
  const store = new MemoryStore();
  const runs: string[] = [];
  const { a, clock, errors } = twoInstances(store, LEASE_MS * 4, runs);
  await a.at(clock.now(), 'test.slow', { n: 1 });
  // Both poll every 5 ms; the step runs four leases long, then completes.
  for (let i = 0; i < 100 && (await store.pendingJobs()) > 0; i++) await pause(10);
  expect(await store.pendingJobs()).toBe(0);
  expect(runs).toHaveLength(1);
  expect(errors).toEqual([]);
});

it("a dead instance's step is still taken over once its lease runs out", async () => {
  const store = new MemoryStore();
  const runs: string[] = [];
  const clock = new RealClock((e) => errorsSeen.push(e));
  // The "dead" instance: claims the step and never runs or renews it.
  await store.scheduleJob({ id: 'j1', due: clock.now(), kind: 'test.slow', payload: '{"n":7}' });
  expect(await store.claimDueJobs(clock.now(), 10, LEASE_MS)).toHaveLength(1);
  twoInstances(store, 1, runs);
  for (let i = 0; i < 100 && (await store.pendingJobs()) > 0; i++) await pause(10);
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatch(/^[ab]:7$/);
});
