import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/config/config-schema.js';
import type { TaskView } from '../../src/gateway/task.js';
import {
  DEV,
  SEED_COGVIEW,
  settling,
  leftBy,
  snapshot,
  startTestSim,
  type Envelope,
  type ErrorBody,
  type Reply,
  type TestSim,
} from '../helpers/sim.js';
import { sample } from '../metrics/prom.js';

const GEN = '/api/v1/images/generations';

let sim: TestSim;
afterEach(() => sim?.close());

const NO_FAILURES: ConfigFile['models'] = { 'cogview-4': { failure_rate: 0 } };

async function metrics(): Promise<string> {
  const res = await sim.admin_<Buffer>('GET', '/metrics');
  expect(res.status).toBe(200);
  return res.body.toString('utf8');
}

async function addFault(body: unknown): Promise<string> {
  const res = await sim.admin_<{ id: string }>('POST', '/faults', body);
  expect(res.status).toBe(201);
  return res.body.id;
}

/** A cogview-4 (sync) request driven to its answer under the manual clock. */
function cogview(stepMs?: number): Promise<Reply<Envelope<TaskView>>> {
  return settling(sim, sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_COGVIEW }), stepMs);
}

describe('failover between the routes of cogview-4 (node48 Zhipu AI, node49 WaveSpeed)', () => {
  it('an outage of node48 leaves cogview-4 working through node49; the attempts and the failover metric show it', async () => {
    sim = await startTestSim({ config: { models: NO_FAILURES } });
    await addFault({ target: 'node48', kind: 'outage' });
    const tasks: TaskView[] = [];
    // Few enough that node48's circuit (threshold 5) stays closed: every task whose route starts at node48 tries it.
    for (let i = 0; i < 4; i++) {
      const reply = await cogview();
      expect(reply.status).toBe(200);
      tasks.push(reply.body.data);
    }
    for (const task of tasks) {
      expect(task).toMatchObject({
        status: 'COMPLETED',
        node: 'node49',
        provider: 'WaveSpeed',
        credits_charged: 4,
        credits_held: 0,
        error: null,
      });
      expect(task.attempts.at(-1)).toMatchObject({
        node: 'node49',
        provider: 'WaveSpeed',
        outcome: 'accepted',
        detail: null,
      });
    }
    const viaNode48 = tasks.filter((t) => t.attempts[0]!.node === 'node48');
    // The task id carries the first route's node; routes are chosen 3:1 by weight under seed 1.
    expect(viaNode48.length).toBeGreaterThanOrEqual(1);
    for (const task of viaNode48) {
      expect(task.task_id).toMatch(/^n48/);
      expect(task.attempts.map((a) => [a.node, a.provider, a.outcome])).toEqual([
        ['node48', 'Zhipu AI', 'refused'],
        ['node49', 'WaveSpeed', 'accepted'],
      ]);
      expect(task.attempts[0]!.detail).toMatch(/node48/);
      expect(task.attempts[1]!.at).toBeGreaterThan(task.attempts[0]!.at); // after the backoff
    }
    for (const task of tasks.filter((t) => t.attempts[0]!.node === 'node49')) expect(task.attempts).toHaveLength(1);

    // The task as GET reads it names the fallback too.
    const read = await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${viaNode48[0]!.task_id}`);
    expect(read.body.data).toMatchObject({ node: 'node49', provider: 'WaveSpeed', status: 'COMPLETED' });

    const text = await metrics();
    expect(sample(text, 'gwsim_failovers_total', { model: 'cogview-4', from: 'node48', to: 'node49' })).toBe(
      viaNode48.length,
    );
    expect(sample(text, 'gwsim_node_calls_total', { node: 'node48', call: 'submit', outcome: 'refused' })).toBe(
      viaNode48.length,
    );
    expect(sample(text, 'gwsim_node_calls_total', { node: 'node49', call: 'submit', outcome: 'accepted' })).toBe(
      tasks.length,
    );
  });

  it('with both cogview-4 nodes down the task FAILS naming the nodes, its hold released and nothing charged', async () => {
    sim = await startTestSim({ config: { models: NO_FAILURES } });
    await addFault({ target: 'node48', kind: 'outage' });
    await addFault({ target: 'node49', kind: 'outage' });
    const before = await snapshot(sim);
    const reply = await cogview();
    expect(reply.status).toBe(200);
    const task = reply.body.data;
    expect(task).toMatchObject({ status: 'FAILED', output: null, credits_charged: 0, credits_held: 0 });
    expect(task.error!.code).toBe('provider_unavailable');
    expect(task.error!.message).toMatch(/node48/);
    expect(task.error!.message).toMatch(/node49/);
    // max_attempts 3 (the default) across the two routes, every one refused.
    expect(task.attempts).toHaveLength(3);
    expect(task.attempts.every((a) => a.outcome === 'refused')).toBe(true);
    expect(new Set(task.attempts.map((a) => a.node))).toEqual(new Set(['node48', 'node49']));

    const entries = (await sim.admin.ledger(DEV)).entries.filter((e) => e.task_id === task.task_id);
    expect(entries.map((e) => [e.kind, e.amount])).toEqual([
      ['hold', 4],
      ['release', 4],
    ]);
    const after = await snapshot(sim);
    expect(after.credits).toEqual(before.credits);
    expect(after.tasks).toBe(before.tasks + 1);
    const text = await metrics();
    expect(sample(text, 'gwsim_tasks_total', { model: 'cogview-4', status: 'FAILED' })).toBe(1);
    expect(sample(text, 'gwsim_credits_charged_total')).toBe(0);
  });

  it('once every route has an open circuit a submit answers 503 with Retry-After and no task nor hold; after the cooldown it works again', async () => {
    const cooldown = 120_000;
    sim = await startTestSim({
      config: { models: NO_FAILURES, routing: { circuit: { threshold: 2, cooldown_ms: cooldown } } },
    });
    await addFault({ target: 'node48', kind: 'outage' });
    await addFault({ target: 'node49', kind: 'outage' });

    // Clock steps well inside the cooldown, so circuits stay open while the failures pile up.
    let refused: Reply<Envelope<TaskView>> | undefined;
    let failed = 0;
    for (let i = 0; i < 6 && !refused; i++) {
      const reply = await cogview(1000);
      if (reply.status === 503) refused = reply;
      else {
        expect(reply.body.data.status).toBe('FAILED');
        failed++;
      }
    }
    expect(refused, 'a submit refused with 503 once both circuits are open').toBeDefined();
    expect(failed).toBeGreaterThanOrEqual(1);
    const text = await metrics();
    expect(sample(text, 'gwsim_circuit_state', { node: 'node48' })).toBe(2);
    expect(sample(text, 'gwsim_circuit_state', { node: 'node49' })).toBe(2);

    // The refusal itself, in the envelope.
    const before = await snapshot(sim);
    const res = await sim.call<ErrorBody>('POST', GEN, { body: SEED_COGVIEW });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { code: 503, type: 'api_error' } });
    expect(res.body.error.message).toMatch(/cogview-4/);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(cooldown / 1000);
    expect(await snapshot(sim)).toEqual(leftBy(before, res));

    // Faults gone, clock past the cooldown: the half-open probe succeeds and submits work again.
    expect((await sim.admin_('DELETE', '/faults')).status).toBe(200);
    await sim.clock.advance(cooldown);
    const ok = await cogview();
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ status: 'COMPLETED', credits_charged: 4 });
    const served = ok.body.data.node;
    expect(sample(await metrics(), 'gwsim_circuit_state', { node: served })).toBe(0);
    const again = await cogview();
    expect(again.body.data.status).toBe('COMPLETED');
  });
});
