import { describe, expect, it } from 'vitest';
import { createClock, MANUAL_EPOCH, ManualClock, RealClock, type Clock } from '../../src/clock/clock.js';

const START = 1_000_000;
const manual = (
  onError: (err: unknown) => void = (err) => {
    throw err;
  },
) => new ManualClock(START, onError);

describe('ManualClock', () => {
  it('starts at its start time and moves only when advanced; time ends at now + ms', async () => {
    const clock = manual();
    expect(clock.mode).toBe('manual');
    expect(clock.now()).toBe(START);
    expect(clock.now()).toBe(START);
    await clock.advance(1500);
    expect(clock.now()).toBe(START + 1500);
    await clock.advance(0);
    expect(clock.now()).toBe(START + 1500);
    // Timers short of the target do not stop time at the last timer.
    clock.schedule(START + 1600, () => {});
    await clock.advance(1000);
    expect(clock.now()).toBe(START + 2500);
  });

  it('fires everything due, in (at, scheduling) order, each seeing its own time as now', async () => {
    const clock = manual();
    const fired: Array<[string, number]> = [];
    const at = (name: string, t: number) =>
      clock.schedule(START + t, () => void fired.push([name, clock.now() - START]));
    at('c', 300);
    at('a', 100);
    at('b1', 200);
    at('b2', 200);
    at('late', 1001);
    at('edge', 1000);
    expect(clock.pending()).toBe(6);
    await clock.advance(1000);
    expect(fired).toEqual([
      ['a', 100],
      ['b1', 200],
      ['b2', 200],
      ['c', 300],
      ['edge', 1000],
    ]);
    expect(clock.now()).toBe(START + 1000);
    expect(clock.pending()).toBe(1);
    await clock.advance(1);
    expect(fired.at(-1)).toEqual(['late', 1001]);
    expect(clock.pending()).toBe(0);
  });

  it('runs a timer scheduled in the past at once, without moving time back', async () => {
    const clock = manual();
    await clock.advance(500);
    const seen: number[] = [];
    clock.schedule(START + 100, () => void seen.push(clock.now()));
    await clock.advance(0);
    expect(seen).toEqual([START + 500]);
    expect(clock.now()).toBe(START + 500);
  });

  it('fires timers scheduled by timers during the same advance when due before the target', async () => {
    const clock = manual();
    const fired: Array<[string, number]> = [];
    const log = (name: string): void => void fired.push([name, clock.now() - START]);
    clock.schedule(START + 100, () => {
      log('first');
      clock.schedule(clock.now() + 50, () => {
        log('child');
        clock.schedule(clock.now() + 50, () => log('grandchild'));
      });
      clock.schedule(clock.now() + 5000, () => log('beyond'));
      clock.schedule(clock.now(), () => log('same-time'));
    });
    clock.schedule(START + 175, () => log('between'));
    // An async timer: the clock waits for it before moving on.
    clock.schedule(START + 120, async () => {
      await new Promise((r) => setImmediate(r));
      log('async');
    });
    await clock.advance(1000);
    expect(fired).toEqual([
      ['first', 100],
      ['same-time', 100],
      ['async', 120],
      ['child', 150],
      ['between', 175],
      ['grandchild', 200],
    ]);
    expect(clock.now()).toBe(START + 1000);
    expect(clock.pending()).toBe(1);
    await clock.advance(5000);
    expect(fired.at(-1)).toEqual(['beyond', 5100]);
  });

  it('never fires cancelled timers, and counts them out of pending()', async () => {
    const clock = manual();
    const fired: string[] = [];
    const a = clock.schedule(START + 10, () => void fired.push('a'));
    const b = clock.schedule(START + 20, () => void fired.push('b'));
    clock.schedule(START + 30, () => void fired.push('c'));
    // A timer cancelling a later one during the same advance.
    let d = clock.schedule(START + 50, () => void fired.push('d'));
    clock.schedule(START + 40, () => clock.cancel(d));
    clock.cancel(b);
    clock.cancel(b); // twice is harmless
    expect(clock.pending()).toBe(4);
    await clock.advance(100);
    expect(fired).toEqual(['a', 'c']);
    expect(clock.pending()).toBe(0);
    // Cancelling a timer that already fired changes nothing.
    clock.cancel(a);
    expect(clock.pending()).toBe(0);
    d = clock.schedule(START + 200, () => void fired.push('e'));
    clock.cancel(d);
    await clock.advance(1000);
    expect(fired).toEqual(['a', 'c']);
  });

  it('runs call() timers with their argument, in (time, order set) with schedule() ones; reset() drops both', async () => {
    const clock = manual();
    const fired: string[] = [];
    const log = (name: string) => void fired.push(name);
    clock.call(START + 20, log, 'call-20');
    clock.schedule(START + 10, () => log('schedule-10'));
    const cancelled = clock.schedule(START + 20, () => log('cancelled'));
    clock.call(START + 10, log, 'call-10');
    clock.schedule(START + 20, () => log('schedule-20'));
    clock.cancel(cancelled);
    expect(clock.pending()).toBe(4);
    await clock.advance(100);
    expect(fired).toEqual(['schedule-10', 'call-10', 'call-20', 'schedule-20']);
    expect(clock.pending()).toBe(0);
    clock.call(START + 200, log, 'dropped');
    const dropped = clock.schedule(START + 200, () => log('dropped too'));
    expect(clock.pending()).toBe(2);
    clock.reset();
    expect(clock.pending()).toBe(0);
    clock.cancel(dropped); // a timer reset() dropped is spent: pending stays at 0
    expect(clock.pending()).toBe(0);
    await clock.advance(1000);
    expect(fired).toHaveLength(4);
  });

  it('serialises concurrent advance() calls: each starts where the previous one left time', async () => {
    const clock = manual();
    const fired: Array<[string, number]> = [];
    clock.schedule(START + 50, async () => {
      // Suspends the first advance; the second must not run meanwhile.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      fired.push(['slow', clock.now() - START]);
    });
    clock.schedule(START + 150, () => void fired.push(['second', clock.now() - START]));
    clock.schedule(START + 250, () => void fired.push(['third', clock.now() - START]));
    const nows: number[] = [];
    const first = clock.advance(100).then(() => nows.push(clock.now() - START));
    const second = clock.advance(100).then(() => nows.push(clock.now() - START));
    const third = clock.advance(100).then(() => nows.push(clock.now() - START));
    await Promise.all([first, second, third]);
    expect(fired).toEqual([
      ['slow', 50],
      ['second', 150],
      ['third', 250],
    ]);
    expect(nows).toEqual([100, 200, 300]);
    expect(clock.now()).toBe(START + 300);
  });

  it('reports a throwing timer to its error sink and carries on', async () => {
    const errors: unknown[] = [];
    const clock = manual((err) => errors.push(err));
    const fired: string[] = [];
    clock.schedule(START + 1, () => {
      throw new Error('boom');
    });
    clock.schedule(START + 2, async () => {
      throw new Error('async boom');
    });
    clock.schedule(START + 3, () => void fired.push('after'));
    await clock.advance(10);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom', 'async boom']);
    expect(fired).toEqual(['after']);
    expect(clock.now()).toBe(START + 10);
  });

  it('reset() drops every timer and goes back to the start time', async () => {
    const clock = manual();
    const fired: string[] = [];
    await clock.advance(700);
    const kept = clock.schedule(START + 800, () => void fired.push('dropped'));
    clock.schedule(START + 5000, () => void fired.push('dropped too'));
    expect(clock.pending()).toBe(2);
    clock.reset();
    expect(clock.now()).toBe(START);
    expect(clock.pending()).toBe(0);
    // A timer dropped by the reset stays dropped: cancelling it now must not upset the count.
    clock.cancel(kept);
    expect(clock.pending()).toBe(0);
    clock.schedule(START + 10, () => void fired.push('new'));
    expect(clock.pending()).toBe(1);
    await clock.advance(10_000);
    expect(fired).toEqual(['new']);
    expect(clock.now()).toBe(START + 10_000);
    expect(clock.pending()).toBe(0);
  });

  it('reset() during an advance ends that advance: time stays at the start, later timers do not fire', async () => {
    const clock = manual();
    const fired: string[] = [];
    let suspended!: () => void;
    const inTimer = new Promise<void>((r) => (suspended = r));
    let resume!: () => void;
    clock.schedule(START + 100, async () => {
      fired.push('slow');
      suspended();
      await new Promise<void>((r) => (resume = r));
    });
    clock.schedule(START + 200, () => void fired.push('dropped'));
    const advancing = clock.advance(1000);
    await inTimer;
    clock.reset();
    clock.schedule(START + 50, () => void fired.push('after reset'));
    resume();
    await advancing;
    expect(clock.now()).toBe(START);
    expect(fired).toEqual(['slow']);
    expect(clock.pending()).toBe(1);
    await clock.advance(50);
    expect(fired).toEqual(['slow', 'after reset']);
  });

  it('fires 100,000 timers in one advance, in order', async () => {
    const clock = manual();
    const n = 100_000;
    let count = 0;
    let last = -1;
    let ordered = true;
    for (let i = 0; i < n; i++) {
      // Scatter the times; scheduling order breaks ties.
      const at = START + ((i * 7919) % 60_000);
      clock.schedule(at, () => {
        if (clock.now() < last) ordered = false;
        last = clock.now();
        count++;
      });
    }
    expect(clock.pending()).toBe(n);
    await clock.advance(60_000);
    expect(count).toBe(n);
    expect(ordered).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it('createClock gives a manual clock at the fixed epoch, or a real one', () => {
    const m = createClock('manual', () => {});
    expect(m.mode).toBe('manual');
    expect(m.now()).toBe(MANUAL_EPOCH);
    expect(new Date(MANUAL_EPOCH).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    const r = createClock('real', () => {});
    expect(r.mode).toBe('real');
    expect(Math.abs(r.now() - Date.now())).toBeLessThan(1000);
    r.close();
  });
});

describe('RealClock', () => {
  it('fires timers a few ms ahead in order, whatever order they were scheduled in', async () => {
    const clock = new RealClock((err) => {
      throw err;
    });
    try {
      const fired: string[] = [];
      const now = clock.now();
      const all = new Promise<void>((resolve, reject) => {
        const bound = setTimeout(
          () => reject(new Error(`timers did not all fire within 200 ms: ${fired.join(',')}`)),
          200,
        );
        clock.schedule(now + 15, () => {
          fired.push('third');
          clearTimeout(bound);
          resolve();
        });
        clock.schedule(now + 5, () => void fired.push('first'));
        clock.schedule(now + 10, () => void fired.push('second'));
      });
      expect(clock.pending()).toBe(3);
      await all;
      expect(fired).toEqual(['first', 'second', 'third']);
      expect(clock.pending()).toBe(0);
    } finally {
      clock.close();
    }
  });

  it('never runs a cancelled timer, and runs one whose time has passed promptly', async () => {
    const clock = new RealClock(() => {});
    try {
      const fired: string[] = [];
      const cancelled = clock.schedule(clock.now() + 1, () => void fired.push('cancelled'));
      const past = clock.schedule(clock.now() - 1000, () => void fired.push('past'));
      clock.cancel(cancelled);
      expect(clock.pending()).toBe(1);
      // A marker due after both: once it runs, the cancelled timer's time has passed too.
      await markerAfter(clock, 5, fired);
      expect(fired).toEqual(['past', 'marker']);
      expect(past.cancelled).toBe(true); // fired timers are spent
    } finally {
      clock.close();
    }
  });

  it('sends a timer that throws or rejects to its error sink, and runs the rest', async () => {
    const errors: string[] = [];
    const clock = new RealClock((err) => void errors.push(err instanceof Error ? err.message : String(err)));
    try {
      const fired: string[] = [];
      const due = clock.now() + 1;
      clock.schedule(due, () => {
        throw new Error('sync');
      });
      clock.call(due, (why: string) => Promise.reject(new Error(why)), 'rejected');
      clock.call(due, (name: string) => void fired.push(name), 'ran');
      await markerAfter(clock, 5, fired);
      // A rejection is reported a microtask after its timer ran: wait one turn of the event loop.
      await new Promise((r) => setImmediate(r));
      expect(fired).toEqual(['ran', 'marker']);
      expect(errors).toEqual(['sync', 'rejected']);
    } finally {
      clock.close();
    }
  });

  it('cannot be advanced', async () => {
    const clock: Clock = new RealClock(() => {});
    await expect(clock.advance(100)).rejects.toThrow(/real clock/);
    clock.close();
  });

  it('reset() drops its timers', async () => {
    const clock = new RealClock(() => {});
    try {
      const fired: string[] = [];
      clock.schedule(clock.now() + 2, () => void fired.push('dropped'));
      clock.reset();
      expect(clock.pending()).toBe(0);
      await markerAfter(clock, 8, fired);
      expect(fired).toEqual(['marker']);
    } finally {
      clock.close();
    }
  });
});

/** Schedule a timer `ms` ahead that logs 'marker' into the caller's list, and wait (≤ 200 ms) for it. */
async function markerAfter(clock: RealClock, ms: number, fired: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const bound = setTimeout(() => reject(new Error(`the marker timer did not fire within 200 ms`)), 200);
    clock.schedule(clock.now() + ms, () => {
      fired.push('marker');
      clearTimeout(bound);
      resolve();
    });
  });
}
