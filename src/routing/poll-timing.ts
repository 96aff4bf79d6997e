import type { Clock } from '../clock/clock.js';
import type { NodeClient } from '../nodes/node-client.js';

/** What routing needs of the faults: which are in force on a node now. */
export interface NodeFaults {
  active(target: string): readonly unknown[];
  /** Every fault with its start, so skipped quiet ticks stop at one starting later. */
  list?(): readonly { target: string; starts_at: number }[];
  /** Told of each fault added here or adopted from another instance (skipped quiet ticks of its target end). */
  onAdded?(listener: (target: string) => void): void;
}

export interface PollTiming {
  /** Simulator ms before poll n + 1 (the last repeats), already scaled by the time scale. */
  pollMs: readonly number[];
  httpPollFloorMs: number;
}

/** Simulator ms from a tick to the next, after `pollsDone` polls: the schedule's step, the last repeating, at least 1. */
export function pollDelay(pollMs: readonly number[], pollsDone: number): number {
  return Math.max(1, pollMs[Math.min(pollsDone, pollMs.length - 1)] ?? 1);
}

/**
 * When the poll after `pollsDone` polls is due. The schedule is simulator time; a node over HTTP
 * is not asked more often than every `httpPollFloorMs` of real time, and its polls fall on a grid
 * of that step, so those due within one step are one batch read. On the real clock a simulator
 * ms is a real ms, so the floor is a plain minimum there; the manual clock spends no real time
 * between ticks (time moves only when told to), so it has no floor and its schedule, and every
 * byte that follows from it, is the same on either transport.
 */
export function nextPollAt(
  clock: Clock,
  timing: PollTiming,
  transport: NodeClient['transport'],
  pollsDone: number,
): number {
  const due = clock.now() + pollDelay(timing.pollMs, pollsDone);
  const floor = transport === 'http' && clock.mode === 'real' ? timing.httpPollFloorMs : 0;
  if (floor <= 0) return due;
  // On a grid of the floor, so polls of one node due within a grid step go as one batch read.
  return Math.ceil(Math.max(due, clock.now() + floor) / floor) * floor;
}
