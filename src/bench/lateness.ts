import { startSimulator } from '../simulator.js';
import { benchKeys } from './load-shapes.js';
import { submitMany } from './plan.js';

const PROBE_MS = 10;

/** p99 and max of how late a timer fires, in ms, with `tasks` in flight. */
export interface Lateness {
  tasks: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

/**
 * Timer lateness on the real clock with `tasks` in flight: a simulator in this process (time
 * scale 1, imagen4 set to take a minute, so every task stays in flight and is polled on its
 * schedule the whole time), and a probe timer every 10 ms beside its timers. A timer fires late
 * only when the event loop is busy, so the probe's lateness is what every simulator timer sees.
 */
export async function timerLateness(tasks: number, seconds: number): Promise<Lateness> {
  const sim = await startSimulator({
    port: 0,
    config: { keys: benchKeys(), models: { 'imagen-4': { latency_ms: { p5: 60_000, p95: 80_000 } } } },
  });
  try {
    await submitMany(sim.url, tasks);
    const late: number[] = [];
    await new Promise<void>((resolve) => {
      const end = performance.now() + seconds * 1000;
      const tick = (due: number) => {
        const now = performance.now();
        late.push(now - due);
        if (now >= end) return resolve();
        setTimeout(() => tick(now + PROBE_MS), PROBE_MS);
      };
      const first = performance.now() + PROBE_MS;
      setTimeout(() => tick(first), PROBE_MS);
    });
    late.sort((a, b) => a - b);
    const p99 = late[Math.min(late.length - 1, Math.floor(late.length * 0.99))] ?? NaN;
    return { tasks, p99Ms: p99, maxMs: late.at(-1) ?? NaN, samples: late.length };
  } finally {
    await sim.close();
  }
}
