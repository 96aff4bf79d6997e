import { afterEach, describe, expect, it } from 'vitest';
import { MANUAL_EPOCH, ManualClock, RealClock } from '../../src/clock/clock.js';
import { ConfigError, parseConfig } from '../../src/config/load-config.js';
import { nextPollAt } from '../../src/routing/poll-timing.js';
import type { TaskTransition } from '../../src/tasks/orchestrator.js';
import { parseSamples } from '../metrics/prom.js';
import { SEED_IMAGEN, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';

const sims: TestSim[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Time scale 0.001: the schedule 250/500/1000/2000 ms becomes 1/1/1/2 ms. */
const SCALED = { pollMs: [1, 1, 1, 2], httpPollFloorMs: 50 };

describe('the real-time floor of polls over HTTP', () => {
  it('on the real clock a node over HTTP is polled no sooner than the floor, on its grid; in-process nodes and the manual clock keep the schedule', () => {
    const real = new RealClock(() => undefined);
    const now = real.now();
    const due = nextPollAt(real, SCALED, 'http', 0);
    expect(due - now).toBeGreaterThanOrEqual(50);
    // Within one grid step of the floor after the clock nextPollAt read (a ms may have passed since `now`).
    expect(due - now).toBeLessThan(100 + (real.now() - now));
    expect(due % 50).toBe(0);
    expect(nextPollAt(real, SCALED, 'in-process', 0) - now).toBeLessThanOrEqual(1 + (real.now() - now));
    expect(nextPollAt(real, { ...SCALED, httpPollFloorMs: 0 }, 'http', 3) - now).toBeLessThanOrEqual(
      2 + (real.now() - now),
    );
    const manual = new ManualClock(MANUAL_EPOCH + 7, () => undefined);
    expect(nextPollAt(manual, SCALED, 'http', 0)).toBe(MANUAL_EPOCH + 8);
    expect(nextPollAt(manual, SCALED, 'http', 9)).toBe(MANUAL_EPOCH + 9);
  });

  it('at --time-scale 0.001 tasks on nodes over HTTP finish with few polls, none before the floor', async () => {
    const transitions: TaskTransition[] = [];
    const sim = await startTestSim({
      clock: 'real',
      timeScale: 0.001,
      nodeTransport: 'http',
      config: { routing: { http_poll_floor_ms: 100 } },
      onTaskTransition: (t) => transitions.push(t),
    });
    sims.push(sim);
    const accepted = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const before = Date.now();
      const reply = await sim.call<Envelope<{ task_id: string; status: string }>>(
        'POST',
        '/api/v1/images/generations',
        { body: SEED_IMAGEN },
      );
      expect(reply.status).toBe(200);
      // A job's state follows its timeline and the clock: on a loaded machine the node's own answer
      // to the submit can already be the end (a 3–8 ms job). Only an end a poll saw tells of the floor.
      if (reply.body.data.status === 'IN_PROGRESS' || reply.body.data.status === 'IN_QUEUE')
        accepted.set(reply.body.data.task_id, before);
    }
    expect(accepted.size, 'some submits answered before their job ended').toBeGreaterThan(0);
    for (let i = 0; i < 200 && transitions.filter((t) => t.to === 'COMPLETED' || t.to === 'FAILED').length < 6; i++)
      await pause(10);
    const ends = transitions.filter((t) => t.to === 'COMPLETED' || t.to === 'FAILED');
    expect(ends).toHaveLength(6);
    for (const t of ends) {
      const at = accepted.get(t.taskId);
      if (at !== undefined) expect(t.at - at).toBeGreaterThanOrEqual(100);
    }
    const polls = parseSamples(await sim.admin.metrics())
      .filter((s) => s.name === 'gwsim_node_calls_total' && s.labels.call === 'poll')
      .reduce((n, s) => n + s.value, 0);
    // Without the floor each ~5 ms job is polled every 1–2 ms; with it, about once.
    expect(polls).toBeLessThanOrEqual(6 * 2);
  });

  it('a negative or non-number http_poll_floor_ms is a config error naming the field', () => {
    for (const value of [-1, 'fast']) {
      let err: unknown;
      try {
        parseConfig({ routing: { http_poll_floor_ms: value } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join('\n')).toContain('routing.http_poll_floor_ms');
    }
  });
});
