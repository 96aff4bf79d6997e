import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { createClock } from '../../src/clock/clock.js';
import { LiveEvents, type LiveDeps } from '../../src/events/live-events.js';
import { LiveSeries } from '../../src/events/live-series.js';
import { FaultSet } from '../../src/nodes/faults.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { makeTask } from '../store/store-contract.js';

describe('LiveSeries', () => {
  const T = 1_767_225_600_000;

  it('counts what it sees move, in the seconds it happened, and nothing of tasks seen only finished', () => {
    const s = new LiveSeries();
    s.task(makeTask({ id: 'a', createdAt: T }), T, 0);
    const attempt = { node: 'node47', provider: 'Google', at: T + 100, outcome: 'accepted' as const, detail: null };
    s.task(
      makeTask({ id: 'a', createdAt: T, status: 'IN_PROGRESS', startedAt: T + 100, attempts: [attempt] }),
      T + 300,
      3,
    );
    s.task(
      makeTask({
        id: 'a',
        createdAt: T,
        status: 'COMPLETED',
        startedAt: T + 100,
        completedAt: T + 2500,
        attempts: [attempt],
      }),
      T + 2600,
      0,
    );
    // Seen first when already under way (before anyone watched): only its end counts.
    s.task(
      makeTask({
        id: 'b',
        createdAt: T - 9000,
        status: 'FAILED',
        startedAt: T - 8000,
        completedAt: T + 2200,
        attempts: [attempt],
      }),
      T + 2600,
      0,
    );
    const points = s.changed();
    expect(points.map((p) => [p.t - T, p.created, p.started, p.completed, p.failed])).toEqual([
      [0, 1, 1, 0, 0],
      [2000, 0, 0, 1, 1],
    ]);
    expect(points[0]!.queue).toEqual({ node47: 3 });
    expect(points[1]!.latency).toEqual({ 'imagen-4': [2500, 2500] });
    expect(s.changed()).toEqual([]);
    expect(s.recent('node47', T + 3000)).toEqual({ completed: 1, failed: 1, errors: 0, p50_ms: 2400, p95_ms: 2400 });
    expect(s.recent('node47', T + 3000 + 61_000)).toEqual({
      completed: 0,
      failed: 0,
      errors: 0,
      p50_ms: null,
      p95_ms: null,
    });
  });

  it('a queue sample that shows nothing new is no change', () => {
    const s = new LiveSeries();
    s.sampleQueue(T, { node47: 2 });
    expect(s.changed()).toHaveLength(1);
    s.sampleQueue(T + 10, { node47: 1 });
    expect(s.changed()).toEqual([]);
    s.sampleQueue(T + 20, { node47: 4 });
    expect(s.changed()[0]!.queue).toEqual({ node47: 4 });
  });
});

describe('LiveEvents', () => {
  const deps = (store = new MemoryStore()): LiveDeps => {
    const clock = createClock('manual', () => {});
    return {
      catalog: loadCatalog(),
      clock,
      store,
      faults: new FaultSet(clock),
      emulators: new Map(),
      circuit: () => 'closed',
    };
  };
  const sink = () => ({
    events: [] as string[],
    send(e: string) {
      this.events.push(e);
    },
    close() {},
  });

  it('listens only while someone is subscribed', async () => {
    const live = new LiveEvents(() => deps());
    expect(live.listening).toBe(false);
    const a = sink();
    const leaveA = await live.subscribe(a);
    const leaveB = await live.subscribe(sink());
    expect(live.listening).toBe(true);
    expect(a.events).toEqual(['hello']);
    leaveA();
    expect(live.listening).toBe(true);
    leaveB();
    expect(live.listening).toBe(false);
  });

  it('a hello that cannot be built (the store is away) fails the subscribe and leaves nobody listening', async () => {
    const store = new MemoryStore();
    store.listKeys = () => Promise.reject(new Error('store away'));
    const live = new LiveEvents(() => deps(store));
    await expect(live.subscribe(sink())).rejects.toThrow('store away');
    expect(live.listening).toBe(false);
  });
});
