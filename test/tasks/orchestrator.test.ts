import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { createClock } from '../../src/clock/clock.js';
import { ClockSteps } from '../../src/clock/steps.js';
import type { TaskRecord } from '../../src/gateway/task.js';
import { Metrics } from '../../src/metrics/metrics.js';
import type { Job } from '../../src/nodes/node-emulator.js';
import { CircuitBreaker } from '../../src/routing/circuit-breaker.js';
import { Dispatcher, type RoutingSteps } from '../../src/routing/dispatcher.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { TaskOrchestrator, type TaskTransition } from '../../src/tasks/orchestrator.js';

const KEY = 'aio_orchestrator';
const PRICE = 8;
const catalog = loadCatalog();
const clocks: Array<ReturnType<typeof createClock>> = [];
let prepared = 0;

/** One gateway instance on `store`: an orchestrator, its real dispatcher (no nodes: nothing here routes), its finished tasks. */
function instance(store: MemoryStore, sharedStore: boolean) {
  const clock = createClock('manual', (err) => {
    throw err;
  });
  clocks.push(clock);
  const metrics = new Metrics({ queueDepth: async () => ({}), running: async () => ({}), creditsHeld: async () => 0 });
  const finished: TaskRecord[] = [];
  const transitions: TaskTransition[] = [];
  const tasks = new TaskOrchestrator({
    catalog,
    seed: 1,
    imageToken: (id) => `token-${id}`,
    store,
    clock,
    metrics,
    errorCodes: new Set(['provider_error']),
    sharedStore,
    routing: (events) =>
      new Dispatcher({
        clock,
        clients: new Map(),
        breaker: new CircuitBreaker(clock, { threshold: 5, cooldownMs: 30_000 }, () => undefined),
        metrics,
        options: {
          maxAttempts: 3,
          backoffMs: 200,
          pollMs: [250],
          lostAfterMs: 60_000,
          httpPollFloorMs: 50,
          jobChanges: true,
        },
        events,
        steps: new ClockSteps<RoutingSteps>(clock),
        faults: { active: () => [] },
      }),
    // Every finishing caller makes a delivery (its own id); only the winner's is stored and started.
    delivery: (done) => ({
      stored: {
        record: {
          id: `msg_${done.id}_${++prepared}`,
          task_id: done.id,
          key: done.key,
          url: 'http://127.0.0.1:1/hook',
          body: '{}',
          state: 'pending',
          attempts: [],
          next_attempt_at: clock.now(),
          created_at: clock.now(),
        },
      },
      started: async () => void finished.push(done),
    }),
    onTransition: (t) => transitions.push(t),
  });
  return { tasks, finished, transitions, clock };
}

/** A task accepted by node47 and running there, its price held. */
async function runningTask(store: MemoryStore, tasks: TaskOrchestrator, at: number): Promise<TaskRecord> {
  const ref = catalog.resolve('imagen4');
  if (!ref) throw new Error('imagen4 is not in the catalog');
  const plan = tasks.plan(ref);
  await store.createKey(KEY, 1_000, 'whsec_test', { requests: 100, window_s: 60 }, at);
  expect(await store.hold(KEY, plan.id, PRICE, at)).toMatchObject({ ok: true });
  const task: TaskRecord = {
    id: plan.id,
    key: KEY,
    model: ref.model.id,
    subModel: ref.subModel.id,
    node: 'node47',
    provider: 'google',
    status: 'IN_PROGRESS',
    queuePosition: null,
    attempts: [{ node: 'node47', provider: 'google', at, outcome: 'accepted', detail: null }],
    createdAt: at,
    startedAt: at,
    completedAt: null,
    width: 1024,
    height: 1024,
    numImages: 1,
    imageSeed: 7,
    imageToken: null,
    error: null,
    held: PRICE,
    charged: 0,
    callbackUrl: 'http://127.0.0.1:9/hook',
  };
  await store.putTask(task);
  return task;
}

const succeeded = (id: string, at: number): Job => ({
  id,
  model: 'imagen4',
  state: 'succeeded',
  queue_position: null,
  submitted_at: at,
  started_at: at,
  finished_at: at + 5_000,
  result: { images: [{ index: 0, width: 1024, height: 1024, content_type: 'image/png' }] },
  error: null,
});

afterEach(() => {
  for (const clock of clocks.splice(0)) clock.close();
});

describe('the orchestrator finishes a task exactly once', () => {
  it('two instances seeing the end at once: one capture, one terminal record, one webhook', async () => {
    const store = new MemoryStore();
    const [a, b] = [instance(store, true), instance(store, true)];
    const task = await runningTask(store, a.tasks, a.clock.now());
    const job = succeeded(task.id, a.clock.now());
    await Promise.all([a.tasks.jobSeen(task.id, job), b.tasks.jobSeen(task.id, job)]);
    expect([...a.finished, ...b.finished].map((t) => t.id)).toEqual([task.id]);
    // The winner's delivery was stored with the finish, and no other.
    expect(await store.listDeliveries(task.id)).toHaveLength(1);
    expect(await store.getTask(task.id)).toMatchObject({ status: 'COMPLETED', held: 0, charged: PRICE });
    expect((await store.ledger(KEY)).filter((e) => e.task_id === task.id).map((e) => e.kind)).toEqual([
      'hold',
      'capture',
    ]);
  });

  it('an instance died between capture and record: of two survivors, one finishes it, with one webhook', async () => {
    const store = new MemoryStore();
    const [a, b] = [instance(store, true), instance(store, true)];
    const task = await runningTask(store, a.tasks, a.clock.now());
    // What the dead instance got done: the capture, and nothing after it.
    expect(await store.settle(task.id, 'capture', a.clock.now())).toBe(true);
    const job = succeeded(task.id, a.clock.now());
    await Promise.all([a.tasks.jobSeen(task.id, job), b.tasks.jobSeen(task.id, job)]);
    expect([...a.finished, ...b.finished]).toHaveLength(1);
    expect(await store.getTask(task.id)).toMatchObject({ status: 'COMPLETED', held: 0, charged: PRICE });
    expect((await store.getKey(KEY))?.credits).toBe(1_000 - PRICE);
    // A later event about the finished task changes nothing and sends nothing.
    await a.tasks.jobSeen(task.id, job);
    await b.tasks.failed(task.id, { code: 'provider_error', message: 'late' });
    expect([...a.finished, ...b.finished]).toHaveLength(1);
  });

  it('the image token is made when the task completes (a submit does not pay its HMAC), never for a failure', async () => {
    const store = new MemoryStore();
    const a = instance(store, false);
    const done = await runningTask(store, a.tasks, a.clock.now());
    await a.tasks.jobSeen(done.id, succeeded(done.id, a.clock.now()));
    expect(await store.getTask(done.id)).toMatchObject({ status: 'COMPLETED', imageToken: `token-${done.id}` });
    const failed = await runningTask(store, a.tasks, a.clock.now());
    expect(failed.imageToken).toBeNull();
    await a.tasks.failed(failed.id, { code: 'provider_error', message: 'the provider reported a failure' });
    expect(await store.getTask(failed.id)).toMatchObject({ status: 'FAILED', imageToken: null });
  });

  it('one instance on its own store: the same job state seen twice finishes once, and reports the transition', async () => {
    const store = new MemoryStore();
    const a = instance(store, false);
    const task = await runningTask(store, a.tasks, a.clock.now());
    const job = succeeded(task.id, a.clock.now());
    await Promise.all([a.tasks.jobSeen(task.id, job), a.tasks.jobSeen(task.id, job)]);
    expect(a.finished.map((t) => t.status)).toEqual(['COMPLETED']);
    expect(a.transitions).toEqual([
      { taskId: task.id, model: 'imagen-4', from: 'IN_PROGRESS', to: 'COMPLETED', at: a.clock.now() },
    ]);
  });
});
