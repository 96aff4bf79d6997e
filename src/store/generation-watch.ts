import type { Store } from './store.js';

export interface GenerationWatchOptions {
  /** How often to read the marker (real ms): one small script per period. */
  everyMs: number;
  /** Seed what this instance seeded at start (its config keys); run once per new generation. */
  reseed: () => Promise<void>;
  /** A check that failed (the store is away): the next period tries again. */
  onError?: (err: unknown) => void;
}

/**
 * Notices a shared store that started empty (a Redis restarted without persistence): reads the
 * store's generation marker on a timer, and on demand (`check`, for a key that has gone missing),
 * and reseeds when it differs from the one last seen. Cheap: one round trip per period.
 */
export class GenerationWatch {
  private seen: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<boolean> | undefined;
  private nudgedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly options: GenerationWatchOptions,
  ) {}

  /** Remember the current generation (the instance has just seeded it) and start watching. */
  async start(): Promise<void> {
    this.seen = await this.store.generation();
    this.timer = setInterval(
      () => void this.check().catch((err: unknown) => this.options.onError?.(err)),
      this.options.everyMs,
    );
    this.timer.unref();
  }

  /** Read the marker now; true when it was new and the instance reseeded. One check at a time. */
  check(): Promise<boolean> {
    this.checking ??= (async () => {
      try {
        const now = await this.store.generation();
        if (now === this.seen) return false;
        await this.options.reseed();
        this.seen = now;
        return true;
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  /** A key went missing (a 401): check soon, at most once per period, errors ignored. */
  nudge(): void {
    const now = Date.now();
    if (now - this.nudgedAt < this.options.everyMs) return;
    this.nudgedAt = now;
    void this.check().catch(() => undefined);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
