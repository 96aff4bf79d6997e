import { afterEach, describe, expect, it } from 'vitest';
import type { NodeTransport } from '../../src/nodes/node-fleet.js';
import type { TaskTransition } from '../../src/tasks/orchestrator.js';
import { parseSamples } from '../metrics/prom.js';
import { startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';

const GEN = '/api/v1/images/generations';
/** The default poll schedule at time scale 1: 250, 500, 1000, then every 2000 ms. */
const POLL_MS = [250, 500, 1000, 2000];

const sims: TestSim[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

/** Every poll tick (ms after accept) up to `untilMs`. */
function ticks(untilMs: number): number[] {
  const out: number[] = [];
  for (let t = 0, n = 0; t <= untilMs; n++) out.push((t += POLL_MS[Math.min(n, POLL_MS.length - 1)]!));
  return out;
}

const BODIES = [
  { model: 'imagen4', prompt: 'a red bicycle against a white wall', aspect_ratio: '1:1' },
  { model: 'flux-2', prompt: 'a glass teapot', resolution: '1K', type: 'flex' },
  { model: 'gpt-image', prompt: 'an isometric city block' },
  { model: 'qwen-image', prompt: 'a bowl of cherries', size: '1328*1328' },
  { model: 'nano-banana', prompt: 'a banana spaceship' },
];

interface Run {
  transitions: TaskTransition[];
  /** Task id → accept time and the job's finish (the node's finished_at, as the task keeps it). */
  tasks: Map<string, { accepted: number; finished: number | null; status: string; error: string | null }>;
  polls: number;
}

/**
 * Submit BODIES (node47 runs one job at a time, so nano-banana queues behind imagen4), apply
 * `during` after the first second, then advance in 100 ms steps without a GET (a GET reads the
 * node through and would move tasks itself) until every task ended.
 */
async function run(nodeTransport: NodeTransport, during?: (sim: TestSim) => Promise<void>): Promise<Run> {
  const transitions: TaskTransition[] = [];
  const sim = await startTestSim({
    seed: 5,
    nodeTransport,
    config: { nodes: { node47: { capacity: 1 } }, routing: { lost_after_ms: 3_000 } },
    onTaskTransition: (t) => transitions.push(t),
  });
  sims.push(sim);
  const accepted = new Map<string, number>();
  for (const body of BODIES) {
    const reply = await sim.call<Envelope<{ task_id: string }>>('POST', GEN, { body });
    expect(reply.status).toBe(200);
    accepted.set(reply.body.data.task_id, sim.clock.now());
  }
  await sim.clock.advance(1_000);
  await during?.(sim);
  for (let i = 0; i < 1_000; i++) {
    const open = (await sim.admin.tasks({})).filter((t) => t.status === 'IN_QUEUE' || t.status === 'IN_PROGRESS');
    if (open.length === 0) break;
    await sim.clock.advance(100);
  }
  const tasks: Run['tasks'] = new Map();
  for (const t of await sim.admin.tasks({}))
    tasks.set(t.id, {
      accepted: accepted.get(t.id) ?? NaN,
      finished: t.completedAt,
      status: t.status,
      error: t.error?.code ?? null,
    });
  const polls = parseSamples(await sim.admin.metrics())
    .filter((s) => s.name === 'gwsim_node_calls_total' && s.labels.call === 'poll')
    .reduce((n, s) => n + s.value, 0);
  return { transitions, tasks, polls };
}

describe('job changes from an in-process node (issue 16)', () => {
  it('a job that ends reaches its task at the first poll tick at or after the end, as polling over HTTP does', async () => {
    const local = await run('in-process');
    const polled = await run('http');
    expect(local.transitions).toEqual(polled.transitions);
    expect([...local.tasks]).toEqual([...polled.tasks]);

    for (const t of local.transitions.filter((x) => x.to === 'COMPLETED' || x.to === 'FAILED')) {
      const task = local.tasks.get(t.taskId);
      if (!task?.finished) throw new Error(`task ${t.taskId} has no end`);
      const firstTick = ticks(t.at - task.accepted).find((ms) => task.accepted + ms >= task.finished!);
      expect(t.at, t.taskId).toBe(task.accepted + (firstTick ?? NaN));
    }
    // Not vacuous: the node over HTTP was read at every tick; the in-process one about once per change.
    expect(local.polls).toBeLessThanOrEqual(BODIES.length * 3);
    expect(polled.polls).toBeGreaterThan(local.polls * 2);
  });

  it('a fault posted while jobs run is seen at the tick polling sees it: outage → node_lost, error_rate → the same retries', async () => {
    const chaos = async (sim: TestSim) => {
      expect(
        (await sim.admin_('POST', '/faults', { target: 'node41', kind: 'outage', duration_ms: 10_000 })).status,
      ).toBe(201);
      expect((await sim.admin_('POST', '/faults', { target: 'node40', kind: 'error_rate', value: 0.5 })).status).toBe(
        201,
      );
    };
    const local = await run('in-process', chaos);
    const polled = await run('http', chaos);
    expect(local.transitions).toEqual(polled.transitions);
    expect([...local.tasks]).toEqual([...polled.tasks]);
    expect([...local.tasks.values()].map((t) => t.error)).toContain('node_lost');
  });
});
