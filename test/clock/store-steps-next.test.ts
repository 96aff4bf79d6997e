import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/clock.js';
import { StoreSteps, type NextSteps } from '../../src/clock/steps.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { ScheduledJob } from '../../src/store/store.js';

interface Kinds {
  'test.chain': { n: number };
}

/** A memory store that records which call stored each job. */
class RecordingStore extends MemoryStore {
  readonly calls: string[] = [];

  override scheduleJob(job: ScheduledJob): Promise<void> {
    this.calls.push(`schedule ${job.payload}`);
    return super.scheduleJob(job);
  }

  override completeJob(id: string, next: readonly ScheduledJob[] = []): Promise<void> {
    this.calls.push(`complete [${next.map((j) => j.payload).join(',')}]`);
    return super.completeJob(id, next);
  }
}

const open: StoreSteps<Kinds>[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A recording store, a manual clock and a scheduler on them (one instance). */
function scheduler() {
  const store = new RecordingStore();
  const clock = new ManualClock(1_000, (e) => {
    throw e;
  });
  const errors: unknown[] = [];
  const steps = new StoreSteps<Kinds>(store, clock, { pollMs: 60_000, leaseMs: 1000, batch: 10 }, (e) =>
    errors.push(e),
  );
  open.push(steps);
  return { store, clock, steps, errors };
}

it("a step's successors scheduled on its `next` are stored with its completion, in one store call", async () => {
  const { store, clock, steps, errors } = scheduler();
  steps.on('test.chain', async ({ n }, next) => {
    await Promise.resolve();
    if (n < 2) await next.at(clock.now() + 10, 'test.chain', { n: n + 1 });
  });
  await steps.at(clock.now(), 'test.chain', { n: 1 });
  await steps.tick();
  expect(store.calls).toEqual(['schedule {"n":1}', 'complete [{"n":2}]']);
  await clock.advance(10);
  await steps.tick();
  expect(store.calls.at(-1)).toBe('complete []');
  expect(await store.pendingJobs()).toBe(0);
  expect(errors).toEqual([]);
});

it('a step scheduled on `next` after the step completed is stored on its own (the rest of a step that let go)', async () => {
  const { store, clock, steps, errors } = scheduler();
  let later: NextSteps<Kinds> | undefined;
  steps.on('test.chain', async (_payload, next) => {
    later = next;
  });
  await steps.at(clock.now(), 'test.chain', { n: 1 });
  await steps.tick();
  expect(later).toBeDefined();
  await later?.at(clock.now() + 5, 'test.chain', { n: 9 });
  expect(store.calls).toEqual(['schedule {"n":1}', 'complete []', 'schedule {"n":9}']);
  expect(await store.pendingJobs()).toBe(1);
  expect(errors).toEqual([]);
});

it('the stored first step gives its run a `next` whose steps are stored with its completion', async () => {
  const { store, clock, steps } = scheduler();
  steps.on('test.chain', async () => undefined);
  const first = steps.stored(clock.now(), 'test.chain', { n: 1 });
  await store.scheduleJob(first.job);
  await first.run((next) => next.at(clock.now() + 1, 'test.chain', { n: 2 }));
  expect(store.calls).toEqual(['schedule {"n":1}', 'complete [{"n":2}]']);
});
