import type { Catalog, ModelRef } from '../catalog/load-catalog.js';
import type { Clock } from '../clock/clock.js';
import { createRng, mix32, pickWeighted, randomString, sampleQuantiles } from '../rng/rng.js';
import type { Store } from '../store/store.js';
import { errors } from './errors.js';
import { isTerminal, type TaskRecord } from './task.js';

export interface LifecycleDeps {
  catalog: Catalog;
  store: Store;
  clock: Clock;
  seed: number;
  /** Multiplies every emulated duration. */
  timeScale: number;
  /** Called once a task reaches COMPLETED or FAILED (webhooks hang here). */
  onTerminal?: (task: TaskRecord) => void | Promise<void>;
}

/** Everything about a task that chance decides, drawn up front from the task's own RNG. */
export interface TaskPlan {
  id: string;
  node: string;
  provider: string;
  queueMs: number;
  runMs: number;
  error: { code: string; message: string } | null;
  imageSeed: number;
}

export interface NewTask {
  key: string;
  ref: ModelRef;
  price: number;
  numImages: number;
  width: number;
  height: number;
  callbackUrl: string | null;
}


/**
 * The async task lifecycle: IN_QUEUE → IN_PROGRESS → COMPLETED | FAILED on the simulator clock.
 * Task n draws from RNG(seed, n), so the same seed and request order give the same ids,
 * timings and outcomes however the tasks interleave.
 */
export class Lifecycle {
  private counter = 0;
  private waiters = new Map<string, Array<{ resolve: (t: TaskRecord) => void; reject: (e: Error) => void }>>();

  constructor(private readonly deps: LifecycleDeps) {}

  plan(ref: ModelRef): TaskPlan {
    const { catalog, seed, timeScale } = this.deps;
    const n = ++this.counter;
    const rng = createRng(mix32(seed, n));
    const route = pickWeighted(rng, ref.model.routes);
    const node = catalog.nodes.get(route.node)!;
    const id = `${node.prefix}${randomString(rng, 11)}_${ref.model.tag}`;
    const queue = ref.model.runtime === 'sync' ? 0 : sampleQuantiles(rng, ref.model.queue_ms ?? catalog.file.queue_ms);
    const run = sampleQuantiles(rng, ref.model.latency_ms);
    const failed = rng.next() < ref.model.failure.rate;
    const error = failed ? pickWeighted(rng, catalog.file.errors) : null;
    return {
      id,
      node: node.id,
      provider: route.provider,
      queueMs: Math.round(queue * timeScale),
      runMs: Math.round(run * timeScale),
      error: error && { code: error.code, message: error.message },
      imageSeed: mix32(seed, n, 0x1a6e),
    };
  }

  /** Store the task (its credits already held) and schedule its transitions. */
  async start(plan: TaskPlan, t: NewTask): Promise<TaskRecord> {
    const { clock, store } = this.deps;
    const now = clock.now();
    const sync = t.ref.model.runtime === 'sync';
    const task: TaskRecord = {
      id: plan.id,
      key: t.key,
      model: t.ref.model.id,
      subModel: t.ref.subModel.id,
      node: plan.node,
      provider: plan.provider,
      status: sync ? 'IN_PROGRESS' : 'IN_QUEUE',
      createdAt: now,
      startedAt: sync ? now : null,
      completedAt: null,
      width: t.width,
      height: t.height,
      numImages: t.numImages,
      imageSeed: plan.imageSeed,
      error: null,
      held: t.price,
      charged: 0,
      callbackUrl: t.callbackUrl,
    };
    await store.putTask(task);
    const startAt = now + plan.queueMs;
    if (!sync) clock.schedule(startAt, () => this.begin(task.id));
    clock.schedule(startAt + plan.runMs, () => this.finish(task.id, plan.error));
    return task;
  }

  private async begin(id: string): Promise<void> {
    const { store, clock } = this.deps;
    const task = await store.getTask(id);
    if (!task || task.status !== 'IN_QUEUE') return;
    await store.putTask({ ...task, status: 'IN_PROGRESS', startedAt: clock.now() });
  }

  private async finish(id: string, error: TaskPlan['error']): Promise<void> {
    const { store, clock } = this.deps;
    const task = await store.getTask(id);
    if (!task || isTerminal(task.status)) return;
    const now = clock.now();
    await store.settle(id, error ? 'release' : 'capture', now);
    const done: TaskRecord = {
      ...task,
      status: error ? 'FAILED' : 'COMPLETED',
      startedAt: task.startedAt ?? now,
      completedAt: now,
      error,
      held: 0,
      charged: error ? 0 : task.held,
    };
    await store.putTask(done);
    for (const w of this.waiters.get(id) ?? []) w.resolve(done);
    this.waiters.delete(id);
    await this.deps.onTerminal?.(done);
  }

  /** Resolve when the task is COMPLETED or FAILED (for sync models, which answer only then). */
  async settled(id: string): Promise<TaskRecord> {
    const result = new Promise<TaskRecord>((resolve, reject) => {
      const list = this.waiters.get(id) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(id, list);
    });
    const now = await this.deps.store.getTask(id);
    if (now && isTerminal(now.status)) {
      this.waiters.delete(id);
      return now;
    }
    return result;
  }

  reset(): void {
    this.counter = 0;
    for (const list of this.waiters.values()) for (const w of list) w.reject(errors.unavailable('The simulator was reset or stopped while this request waited for its task'));
    this.waiters.clear();
  }
}
