import { randomUUID } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';

/** A deferred step of the simulation (a dispatch attempt, a poll, a webhook attempt). */
export type StepHandler = (payload: unknown) => Promise<void>;

/**
 * Where deferred steps wait. On one instance they are clock timers (the manual clock drives them);
 * on a shared store they are jobs any instance can claim, so a task goes on if its instance dies.
 */
export interface StepScheduler {
  on(kind: string, handler: StepHandler): void;
  /** Run `kind` with `payload` at epoch ms `due`; resolves once the step is safely recorded. */
  at(due: number, kind: string, payload: unknown): Promise<void>;
  /** Forget steps scheduled before now (a simulator reset). */
  reset(): void;
  close(): Promise<void>;
}

/** Steps as timers on the simulator clock; payloads are passed by reference, never serialized. */
export class ClockSteps implements StepScheduler {
  private handlers = new Map<string, StepHandler>();
  private generation = 0;

  constructor(private readonly clock: Clock) {}

  on(kind: string, handler: StepHandler): void {
    this.handlers.set(kind, handler);
  }

  async at(due: number, kind: string, payload: unknown): Promise<void> {
    const handler = this.handlers.get(kind);
    if (!handler) throw new Error(`no step handler for ${kind}`);
    const gen = this.generation;
    this.clock.schedule(due, () => (gen === this.generation ? handler(payload) : undefined));
  }

  reset(): void {
    this.generation++;
  }

  async close(): Promise<void> {}
}

export interface StoreStepsOptions {
  /** How often each instance looks for due steps (real ms). */
  pollMs: number;
  /** How long a claimed step may run before another instance may take it over. */
  leaseMs: number;
  batch: number;
}

/**
 * Steps as jobs in the shared store: every instance claims due ones (each exactly once per lease)
 * and runs them; a step whose instance died is claimed again when its lease runs out. Handlers
 * must tolerate running twice (they do: the node is idempotent on job_id, polls are reads).
 */
export class StoreSteps implements StepScheduler {
  private handlers = new Map<string, StepHandler>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: StoreStepsOptions,
    private readonly onError: (err: unknown) => void,
  ) {
    this.timer = setInterval(() => void this.tick(), options.pollMs);
    this.timer.unref();
  }

  on(kind: string, handler: StepHandler): void {
    this.handlers.set(kind, handler);
  }

  at(due: number, kind: string, payload: unknown): Promise<void> {
    return this.store.scheduleJob({ id: randomUUID(), due, kind, payload: JSON.stringify(payload) });
  }

  /** Claim and run what is due; one pass at a time per instance. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const jobs = await this.store.claimDueJobs(this.clock.now(), this.options.batch, this.options.leaseMs);
        await Promise.all(
          jobs.map(async (job) => {
            try {
              await this.handlers.get(job.kind)?.(JSON.parse(job.payload));
              await this.store.completeJob(job.id);
            } catch (err) {
              this.onError(err); // the lease runs out and the step is tried again
            }
          }),
        );
        if (jobs.length < this.options.batch) break;
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
    }
  }

  reset(): void {}

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
