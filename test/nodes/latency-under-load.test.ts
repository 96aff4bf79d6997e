import { afterEach, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { ArrivalSchedule, stagesOf } from '../../src/load/arrivals.js';
import { drain, SEED_IMAGEN, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';

// `gwsim load --rate 10 --duration 60s --mix imagen4=1`, its arrivals driven on the manual clock.
const RATE = 10;
const DURATION_MS = 60_000;
// The pages' 3–8 s, plus one poll interval (the load generator's first, 500 ms) as the tolerance
// for a 95th percentile estimated from 600 draws of the catalog's log-normal.
const DOCUMENTED = { min: 3_000, max: 8_000 };
const POLL_MS = 500;

let sim: TestSim;
afterEach(() => sim?.close());

const quantile = (sorted: number[], q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

/** Submit imagen4 at the schedule's times on the manual clock, run every task to its end; what the submits answered and how long each task took. */
async function drive(s: TestSim): Promise<{ created: TaskView[]; durations: number[]; waits: number[] }> {
  const created: TaskView[] = [];
  const t0 = s.clock.now();
  for (const { index, atMs } of new ArrivalSchedule(stagesOf({ rate: RATE, durationMs: DURATION_MS })).arrivals()) {
    const due = t0 + Math.round(atMs);
    if (due > s.clock.now()) await s.clock.advance(due - s.clock.now());
    const res = await s.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', {
      body: { ...SEED_IMAGEN, prompt: `${SEED_IMAGEN.prompt} #${index}` },
    });
    expect(res.status).toBe(200);
    created.push(res.body.data);
  }
  await drain(s, 10_000, 200);
  const tasks = (await s.admin.tasks({ model: 'imagen-4' })).filter((t) => t.status === 'COMPLETED');
  return {
    created,
    durations: tasks.map((t) => t.completedAt! - t.createdAt).sort((a, b) => a - b),
    waits: tasks.map((t) => t.startedAt! - t.createdAt),
  };
}

describe('imagen4 at 10 requests a second for a minute (manual clock)', () => {
  it('with the default catalog: every task starts at once and completion p95 stays within the documented 3–8 s', async () => {
    sim = await startTestSim();
    const { created, durations, waits } = await drive(sim);
    expect(created).toHaveLength(RATE * (DURATION_MS / 1000));
    expect(created.every((t) => t.status === 'IN_PROGRESS' && t.queue_position === null)).toBe(true);
    expect(durations.length).toBeGreaterThan(0.95 * created.length); // the catalog's 1% failure rate aside
    expect(Math.max(...waits)).toBe(0);
    const p50 = quantile(durations, 0.5);
    const p95 = quantile(durations, 0.95);
    expect(p50).toBeGreaterThanOrEqual(DOCUMENTED.min);
    expect(p50).toBeLessThanOrEqual(DOCUMENTED.max);
    expect(p95).toBeLessThanOrEqual(DOCUMENTED.max + POLL_MS);
  });

  it('with nodes.node47.capacity 8 the node saturates: tasks queue with positions, and completion runs far past 8 s', async () => {
    sim = await startTestSim({ config: { nodes: { node47: { capacity: 8 } } } });
    const { created, durations, waits } = await drive(sim);
    const queued = created.filter((t) => t.status === 'IN_QUEUE');
    expect(queued.length).toBeGreaterThan(created.length / 2);
    expect(queued.every((t) => t.queue_position !== null && t.queue_position >= 1)).toBe(true);
    expect(Math.max(...queued.map((t) => t.queue_position!))).toBeGreaterThan(100);
    expect(Math.max(...waits)).toBeGreaterThan(60_000);
    expect(quantile(durations, 0.95)).toBeGreaterThan(4 * DOCUMENTED.max);
  });
});
