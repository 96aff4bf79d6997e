import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock/clock.js';
import type { Store } from '../store/store.js';

/** What the reconciler asks of the task orchestrator, the one owner of a task's life. */
export interface TaskRecovery {
  /** End a task nothing will move again (it has no pending step). */
  recover(taskId: string): Promise<void>;
  /** Release the credits held for a task that has no record. */
  releaseOrphan(taskId: string): Promise<void>;
}

export interface ReconcilerOptions {
  /** How often (real ms) each instance tries to run a pass; the lease lasts three periods. */
  everyMs: number;
  /** At most this many stuck tasks and this many orphan holds per pass. */
  batch: number;
  /** A pass that failed (the store is away): the next period tries again. */
  onError?: (err: unknown) => void;
}

export const RECONCILE_LEASE = 'reconciler';

/**
 * Finds what a fault left behind on a shared store and ends it: tasks that are unfinished with no
 * pending step (the orchestrator fails them, releasing their hold) and holds with no task
 * (released, with a ledger entry). Any instance may run it; a store lease makes it one at a
 * time. Each pass does bounded work (`batch` of each), and successive passes walk all of them.
 * The bound after a fault: a step's lease (`steps.lease_ms`) for a dead instance's steps to run
 * elsewhere, then up to a period (`steps.reconcile_ms`) plus a lease for the reconciler.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly owner = randomUUID();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly tasks: TaskRecovery,
    private readonly options: ReconcilerOptions,
  ) {}

  start(): void {
    this.timer = setInterval(
      () => void this.pass().catch((err: unknown) => this.options.onError?.(err)),
      this.options.everyMs,
    );
    this.timer.unref();
  }

  /** One pass: what it ended, or undefined when another instance holds the lease (or a pass is running). */
  async pass(): Promise<{ tasks: number; holds: number } | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      const { store, options } = this;
      if (!(await store.lease(RECONCILE_LEASE, this.owner, options.everyMs * 3, this.clock.now()))) return undefined;
      const stuck = await store.stuckTasks(options.batch);
      for (const id of stuck) await this.tasks.recover(id);
      const orphans = await store.orphanHolds(options.batch);
      for (const id of orphans) await this.tasks.releaseOrphan(id);
      return { tasks: stuck.length, holds: orphans.length };
    } finally {
      this.running = false;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
