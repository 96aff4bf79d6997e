import { AsyncResource } from 'node:async_hooks';
import { TimerHeap, type Timer, type TimerFn } from './timer-heap.js';

export type ClockMode = 'real' | 'manual';

/**
 * The simulator's only source of time. Everything that happens later (a task starting, finishing,
 * a webhook retry) is a timer on this one scheduler, so the manual clock can fire it all, in order.
 */
export interface Clock {
  readonly mode: ClockMode;
  now(): number;
  /** Run `fn` at epoch ms `at` (or at once, in order, if that has passed). */
  schedule(at: number, fn: () => void | Promise<void>): Timer;
  /**
   * Run `fn(arg)` at epoch ms `at`, as schedule() would, but with no handle to cancel: `fn` is
   * shared by many timers and `arg` is the one value that differs, so a timer costs no closure
   * (what 100k steps in flight wait on).
   */
  call<A>(at: number, fn: TimerFn<A>, arg: A): void;
  cancel(timer: Timer): void;
  /** Manual clock: move time forward, running everything due, in order, before resolving. */
  advance(ms: number): Promise<void>;
  /**
   * Run `fn` now, as a timer due now would run: on the manual clock, between advances, so no
   * advance moves time (past a call's timeout, say) while it runs. `fn` must not wait on time.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Timers not yet fired. */
  pending(): number;
  /** Drop every timer and go back to the start time (manual clock). */
  reset(): void;
  close(): void;
}

type ErrorSink = (err: unknown) => void;

abstract class HeapClock implements Clock {
  abstract readonly mode: ClockMode;
  protected heap = new TimerHeap();
  private seq = 0;
  private live = 0;
  /** The timer takeDue() took last: when it was due, its callback and argument. */
  protected dueAt = 0;
  protected dueFn: TimerFn<unknown> = runTimer as TimerFn<unknown>;
  protected dueArg: unknown = undefined;

  constructor(protected readonly onError: ErrorSink) {}

  abstract now(): number;
  abstract advance(ms: number): Promise<void>;
  protected abstract armed(): void;

  schedule(at: number, fn: () => void | Promise<void>): Timer {
    const timer: Timer = { fn, cancelled: false };
    this.call(at, runTimer, timer);
    return timer;
  }

  call<A>(at: number, fn: TimerFn<A>, arg: A): void {
    this.heap.push(at, this.seq++, fn, arg);
    this.live++;
    this.armed();
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  cancel(timer: Timer): void {
    if (!timer.cancelled) {
      timer.cancelled = true;
      // Its entry waits in the heap until due (a node call's timeout: seconds); its callback, and
      // all the callback holds (a call's promise and settlers), need not wait with it.
      timer.fn = spentFn;
      this.live--;
    }
  }

  pending(): number {
    return this.live;
  }

  reset(): void {
    // Mark dropped timers spent, so a later cancel() of one cannot push `live` below zero.
    const { fns, args } = this.heap.clear();
    fns.forEach((fn, i) => {
      if (fn === runTimer) (args[i] as Timer).cancelled = true;
    });
    this.live = 0;
  }

  close(): void {
    this.reset();
  }

  /**
   * Take the next timer due at or before `until`, skipping cancelled ones: true with it in
   * `dueAt`, `dueFn` and `dueArg` (read them before anything else takes one).
   */
  protected takeDue(until: number): boolean {
    for (let at = this.heap.peekAt(); at <= until; at = this.heap.peekAt()) {
      const fn = this.heap.peekFn();
      const arg = this.heap.peekArg();
      this.heap.pop();
      if (fn === undefined) break;
      if (fn === runTimer) {
        const timer = arg as Timer;
        if (timer.cancelled) continue;
        // Spent: a cancel() from now on changes nothing.
        timer.cancelled = true;
      }
      this.live--;
      this.dueAt = at;
      this.dueFn = fn as TimerFn<unknown>;
      this.dueArg = arg;
      return true;
    }
    return false;
  }

  protected async run(fn: TimerFn<unknown>, arg: unknown): Promise<void> {
    try {
      await fn(arg);
    } catch (err) {
      this.onError(err);
    }
  }
}

const spentFn = (): void => {};

/** The callback of a cancellable timer's entry: its own function, unless cancelled (takeDue checks). */
const runTimer: TimerFn<Timer> = (timer) => timer.fn();

/** Wall-clock time; one Node timer armed for the earliest due callback, whatever the count. */
export class RealClock extends HeapClock {
  readonly mode = 'real';
  private handle: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  /**
   * The async context the clock was made in: its one Node timer fires every callback in it, not
   * in the context of whatever armed it last (a stored step's, which would collect their steps).
   */
  private readonly origin = new AsyncResource('gwsim.clock');

  now(): number {
    return Date.now();
  }

  async advance(): Promise<void> {
    throw new Error('the real clock cannot be advanced; start with --clock manual');
  }

  protected armed(): void {
    const next = this.heap.peekAt();
    if (next === Infinity || next >= this.armedAt) return;
    if (this.handle) clearTimeout(this.handle);
    this.armedAt = next;
    this.handle = setTimeout(() => this.origin.runInAsyncScope(() => this.fire()), Math.max(0, next - Date.now()));
    this.handle.unref();
  }

  private fire(): void {
    this.handle = undefined;
    this.armedAt = Infinity;
    const now = Date.now();
    while (this.takeDue(now)) this.start(this.dueFn, this.dueArg);
    this.armed();
  }

  /**
   * Start a timer's callback and let it run: its errors go to onError, as run() sends them, with
   * no promise of its own. A burst of due timers all start in one turn, and all they hold lives
   * until the microtasks drain (a scavenge or two in between promotes it): the less each
   * allocates, the less garbage reaches the old space.
   */
  private start(fn: TimerFn<unknown>, arg: unknown): void {
    try {
      const result = fn(arg);
      if (result) result.catch(this.onError);
    } catch (err) {
      this.onError(err);
    }
  }

  override reset(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    this.armedAt = Infinity;
    super.reset();
  }
}

/** Time that moves only when told to; starts at a fixed epoch so runs are reproducible. */
export class ManualClock extends HeapClock {
  readonly mode = 'manual';
  private current: number;
  private queue: Promise<void> = Promise.resolve();
  /** Bumped by reset(), so an advance already under way stops moving time. */
  private epoch = 0;

  constructor(
    private readonly start: number,
    onError: ErrorSink,
  ) {
    super(onError);
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  protected armed(): void {}

  /** Concurrent calls run one after another, so each sees the time the previous one left. */
  advance(ms: number): Promise<void> {
    const step = async () => {
      const epoch = this.epoch;
      const target = this.current + ms;
      // A reset() while a timer runs ends this advance: time stays at the start.
      while (this.epoch === epoch && this.takeDue(target)) {
        this.current = Math.max(this.current, this.dueAt);
        await this.run(this.dueFn, this.dueArg);
      }
      if (this.epoch === epoch) this.current = target;
    };
    const result = this.queue.then(step);
    this.queue = result.catch(() => undefined);
    return result;
  }

  override exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  override reset(): void {
    super.reset();
    this.current = this.start;
    this.epoch++;
  }
}

/** The manual clock's start: fixed, so that the same seed gives the same timestamps. */
export const MANUAL_EPOCH = Date.parse('2026-01-01T00:00:00.000Z');

export function createClock(mode: ClockMode, onError: ErrorSink): Clock {
  return mode === 'manual' ? new ManualClock(MANUAL_EPOCH, onError) : new RealClock(onError);
}
