import type { NodeClient } from '../nodes/node-client.js';
import { pollDelay } from './poll-timing.js';
import type { NextSteps } from '../clock/steps.js';
import type { DispatcherDeps, PollState, RoutingSteps } from './routing-types.js';

/** A point of a poll schedule: when, after how many polls, and when the node last answered. */
export type Tick = Pick<PollState, 'due' | 'pollsDone' | 'lastHeardAt'>;

/** Ticks skipped at most in one go, so a far change still costs a bounded loop (the tick there skips on). */
const MAX_SKIPPED = 1_000_000;

/**
 * The first tick of a poll schedule, from `tick` on (itself included), due at or after `until`
 * (`strictly`: after it). The ticks before it are the quiet ticks polling would have made: each
 * one's delay is added to the previous one's time, as a tick at that time would have (the same
 * floating-point sums), and each counts as a poll and as the node last heard from.
 */
export function tickAtOrAfter(tick: Tick, pollMs: readonly number[], until: number, strictly = false): Tick {
  let { due, pollsDone, lastHeardAt } = tick;
  for (let n = 0; (strictly ? due <= until : due < until) && n < MAX_SKIPPED; n++) {
    lastHeardAt = due;
    // As schedulePoll after a tick: the delay after the poll count that tick carries.
    due = due + pollDelay(pollMs, pollsDone);
    pollsDone++;
  }
  return { due, pollsDone, lastHeardAt };
}

/** The earliest start after `after` of a fault on `node`: a tick from then on may have to read the node. */
export function nextFaultStart(
  faults: readonly { target: string; starts_at: number }[],
  node: string,
  after: number,
): number {
  let next = Infinity;
  for (const f of faults) if (f.target === node && f.starts_at > after && f.starts_at < next) next = f.starts_at;
  return next;
}

/**
 * Quiet ticks skipped on stored steps. A stored step per quiet tick costs store calls and reads
 * nothing, so one step is stored at the tick that first sees the change (or a fault known now
 * starting on the node), grouped by node, carrying the poll count and schedule the skipped
 * ticks made. A fault added on the node or a failure on its circuit, on any instance (each
 * wakes as it learns of it: its own post or failure, or an adopted fault or open circuit),
 * brings each such step of the node to the first tick of its schedule after now, where polling
 * would have read; that tick decides again whether it is quiet.
 */
export class QuietSkips {
  constructor(private readonly deps: Pick<DispatcherDeps, 'clock' | 'options' | 'faults' | 'breaker' | 'steps'>) {
    deps.faults.onAdded?.((target) => this.wake(target));
    deps.breaker.onUnclean((node) => this.wake(node));
  }

  /** Only while every skipped tick would be quiet: an in-process node, its circuit clean, no fault in force on it. */
  canSkip(client: NodeClient): boolean {
    const { breaker, faults } = this.deps;
    return client.transport === 'in-process' && breaker.clean(client.node) && faults.active(client.node).length === 0;
  }

  /** One step for the quiet ticks from `first` (the next tick) on, up to the change at `quietUntil`. */
  skip(next: NextSteps<RoutingSteps>, first: PollState, quietUntil: number): Promise<void> {
    const { clock, options, faults } = this.deps;
    const until = Math.min(quietUntil, nextFaultStart(faults.list?.() ?? [], first.node, clock.now()));
    const skipped: Tick = { due: first.due, pollsDone: first.pollsDone, lastHeardAt: first.lastHeardAt };
    const step: PollState = { ...first, ...tickAtOrAfter(skipped, options.pollMs, until), skipped };
    return next.at(step.due, 'dispatch.poll', step, first.node);
  }

  /** A store that is away loses the wake (its steps wait for the store anyway). */
  private wake(node: string): void {
    const { clock, options, steps } = this.deps;
    const now = clock.now();
    void steps
      .wake?.(node, 'dispatch.poll', (step) => {
        const from: Tick = step.skipped ?? { due: step.due, pollsDone: step.pollsDone, lastHeardAt: step.lastHeardAt };
        const next = tickAtOrAfter(from, options.pollMs, now, true);
        return next.due < step.due ? { due: next.due, payload: { ...step, ...next, skipped: from } } : undefined;
      })
      .catch(() => undefined);
  }
}
