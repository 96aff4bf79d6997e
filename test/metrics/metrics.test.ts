import { afterEach, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import {
  drain,
  SEED_COGVIEW,
  SEED_IMAGEN,
  settling,
  startTestSim,
  type Envelope,
  type Reply,
  type TestSim,
} from '../helpers/sim.js';
import { parseSamples, sample, samples, total } from './prom.js';

const GEN = '/api/v1/images/generations';
const LINE = /^[a-z_]+(\{[^}]*\})? ([0-9.e+-]+|NaN|[+-]?Inf)$/;

let sim: TestSim;
afterEach(() => sim?.close());

async function scrape(): Promise<string> {
  const res = await fetch(`${sim.url}/_sim/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
}

/** Public API calls, counted by operation and status as the test expects the simulator to count them. */
function counter() {
  const expected = new Map<string, number>();
  const count = (operation: string, status: number) =>
    expected.set(`${operation} ${status}`, (expected.get(`${operation} ${status}`) ?? 0) + 1);
  return {
    expected,
    async track<T>(operation: string, pending: Promise<Reply<T>>): Promise<Reply<T>> {
      const reply = await pending;
      count(operation, reply.status);
      return reply;
    },
  };
}

describe('/_sim/metrics', () => {
  it('is Prometheus text: HELP and TYPE for every family, every sample line well formed', async () => {
    sim = await startTestSim();
    await sim.call('GET', '/api/v1/models');
    const text = await scrape();
    const lines = text.split('\n').filter((l) => l !== '');
    for (const line of lines.filter((l) => !l.startsWith('#'))) expect(line).toMatch(LINE);
    const names = new Set(parseSamples(text).map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
    for (const name of names) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'));
    }
    for (const name of [
      'gwsim_requests_total',
      'gwsim_request_duration_seconds',
      'gwsim_tasks_total',
      'gwsim_node_calls_total',
      'gwsim_failovers_total',
      'gwsim_circuit_state',
      'gwsim_node_queue_depth',
      'gwsim_credits_held',
      'gwsim_credits_charged_total',
    ]) {
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    // Every catalog node has a circuit, closed at start.
    for (const node of sim.catalog.nodes.keys()) expect(sample(text, 'gwsim_circuit_state', { node })).toBe(0);
  });

  it('counts what the test did: requests, latency histograms, tasks, node calls, failovers, queue depth, credits held and charged', async () => {
    sim = await startTestSim({
      config: {
        nodes: { node47: { capacity: 1 } },
        models: {
          'imagen-4': { failure_rate: 0, latency_ms: { p5: 1000, p95: 1000 } },
          'cogview-4': { failure_rate: 0 },
        },
      },
    });
    const api = counter();

    // Three imagen4 tasks on a node of capacity 1: one runs, two wait.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api.track(
        'createImageGeneration',
        sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_IMAGEN }),
      );
      expect(r.status).toBe(200);
      ids.push(r.body.data.task_id);
    }
    await api.track('createImageGeneration', sim.call('POST', GEN, { body: { ...SEED_IMAGEN, aspect_ratio: '7:3' } })); // 400
    await api.track('createImageGeneration', sim.call('POST', GEN, { body: SEED_IMAGEN, key: null })); // 401
    await sim.clock.advance(0);
    let text = await scrape();
    expect(sample(text, 'gwsim_node_queue_depth', { node: 'node47' })).toBe(2);
    expect(sample(text, 'gwsim_node_running', { node: 'node47' })).toBe(1);
    expect(sample(text, 'gwsim_credits_held')).toBe(3 * 8);
    expect(sample(text, 'gwsim_credits_charged_total')).toBe(0);
    expect(sample(text, 'gwsim_node_calls_total', { node: 'node47', call: 'submit', outcome: 'accepted' })).toBe(3);

    await drain(sim, 1000);
    for (const id of ids)
      expect(
        (await api.track('getTask', sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${id}`))).body.data.status,
      ).toBe('COMPLETED');
    text = await scrape();
    expect(sample(text, 'gwsim_node_queue_depth', { node: 'node47' })).toBe(0);
    expect(sample(text, 'gwsim_credits_held')).toBe(0);
    expect(sample(text, 'gwsim_credits_charged_total')).toBe(3 * 8);
    expect(sample(text, 'gwsim_tasks_total', { model: 'imagen-4', status: 'COMPLETED' })).toBe(3);
    // Polls until each job ended; every one answered.
    expect(
      sample(text, 'gwsim_node_calls_total', { node: 'node47', call: 'poll', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(3);
    expect(total(text, 'gwsim_node_calls_total', { node: 'node47', call: 'poll' })).toBe(
      sample(text, 'gwsim_node_calls_total', { node: 'node47', call: 'poll', outcome: 'ok' }),
    );
    // Task durations on the simulator clock: 1 s, 2 s and 3 s from submit to end.
    expect(sample(text, 'gwsim_task_duration_seconds_count', { model: 'imagen-4' })).toBe(3);
    expect(sample(text, 'gwsim_task_duration_seconds_sum', { model: 'imagen-4' })).toBe(1 + 2 + 3);
    expect(sample(text, 'gwsim_task_duration_seconds_bucket', { model: 'imagen-4', le: '1' })).toBe(1);
    expect(sample(text, 'gwsim_task_duration_seconds_bucket', { model: 'imagen-4', le: '2' })).toBe(2);
    expect(sample(text, 'gwsim_task_duration_seconds_bucket', { model: 'imagen-4', le: '4' })).toBe(3);

    // A task nobody can take: node47 fails every call, three attempts, FAILED.
    const fault = await sim.admin_<{ id: string }>('POST', '/faults', {
      target: 'node47',
      kind: 'error_rate',
      value: 1,
    });
    const doomed = await api.track(
      'createImageGeneration',
      sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_IMAGEN }),
    );
    await sim.clock.advance(5000);
    await sim.admin_('DELETE', `/faults/${fault.body.id}`);
    expect(
      (await api.track('getTask', sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${doomed.body.data.task_id}`)))
        .body.data.status,
    ).toBe('FAILED');

    // cogview-4 with node48 out: tasks fail over to node49.
    await sim.admin_('POST', '/faults', { target: 'node48', kind: 'outage' });
    const cogview: TaskView[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await api.track(
        'createImageGeneration',
        settling(sim, sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_COGVIEW })),
      );
      cogview.push(r.body.data);
    }
    const failedOver = cogview.filter((t) => t.attempts[0]!.node === 'node48').length;
    expect(failedOver).toBeGreaterThanOrEqual(1);
    const credits = await api.track('getCredits', sim.call<Envelope<{ balance: number }>>('GET', '/api/v1/credits'));

    text = await scrape();
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) expect(line).toMatch(LINE);

    // Requests, by operation and status, exactly as made.
    for (const [key, n] of api.expected) {
      const [operation, status] = key.split(' ');
      expect(sample(text, 'gwsim_requests_total', { operation: operation!, status: status! }), key).toBe(n);
    }
    expect(total(text, 'gwsim_requests_total')).toBe([...api.expected.values()].reduce((a, b) => a + b, 0));
    // The latency histogram saw each request once: +Inf bucket = _count = requests of that operation.
    for (const operation of new Set([...api.expected.keys()].map((k) => k.split(' ')[0]!))) {
      const n = total(text, 'gwsim_requests_total', { operation });
      expect(sample(text, 'gwsim_request_duration_seconds_bucket', { operation, le: '+Inf' })).toBe(n);
      expect(sample(text, 'gwsim_request_duration_seconds_count', { operation })).toBe(n);
      const buckets = samples(text, 'gwsim_request_duration_seconds_bucket', { operation }).map((s) => s.value);
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b)); // cumulative
    }

    // Tasks and failures.
    expect(sample(text, 'gwsim_tasks_total', { model: 'imagen-4', status: 'COMPLETED' })).toBe(3);
    expect(sample(text, 'gwsim_tasks_total', { model: 'imagen-4', status: 'FAILED' })).toBe(1);
    expect(sample(text, 'gwsim_tasks_total', { model: 'cogview-4', status: 'COMPLETED' })).toBe(3);
    expect(sample(text, 'gwsim_task_failures_total', { model: 'imagen-4', code: 'provider_unavailable' })).toBe(1);
    expect(sample(text, 'gwsim_node_calls_total', { node: 'node47', call: 'submit', outcome: 'error' })).toBe(3);
    expect(sample(text, 'gwsim_node_calls_total', { node: 'node48', call: 'submit', outcome: 'refused' })).toBe(
      failedOver,
    );
    expect(sample(text, 'gwsim_node_calls_total', { node: 'node49', call: 'submit', outcome: 'accepted' })).toBe(3);
    expect(sample(text, 'gwsim_failovers_total', { model: 'cogview-4', from: 'node48', to: 'node49' })).toBe(
      failedOver,
    );
    expect(total(text, 'gwsim_failovers_total')).toBe(failedOver);
    // node47 failed 3 times in a row with the default threshold 5: still closed; so is node48 (fewer than 5 refusals).
    expect(sample(text, 'gwsim_circuit_state', { node: 'node47' })).toBe(0);
    expect(sample(text, 'gwsim_circuit_state', { node: 'node48' })).toBe(failedOver >= 5 ? 2 : 0);

    // Credits: charged = the sum over charged tasks = what left the balance; nothing held.
    const tasks = await sim.admin.tasks({});
    const charged = tasks.reduce((s, t) => s + t.charged, 0);
    expect(charged).toBe(3 * 8 + 3 * 4);
    expect(sample(text, 'gwsim_credits_charged_total')).toBe(charged);
    expect(credits.body.data.balance).toBe(10_000 - charged);
    expect(sample(text, 'gwsim_credits_held')).toBe(0);
  });

  it('/_sim/reset zeroes the counters', async () => {
    sim = await startTestSim({ config: { models: { 'imagen-4': { failure_rate: 0 } } } });
    await sim.call('POST', GEN, { body: SEED_IMAGEN });
    await drain(sim);
    expect(sample(await scrape(), 'gwsim_credits_charged_total')).toBe(8);
    await sim.admin_('POST', '/reset');
    const text = await scrape();
    expect(sample(text, 'gwsim_credits_charged_total')).toBe(0);
    expect(total(text, 'gwsim_requests_total')).toBe(0);
    expect(total(text, 'gwsim_tasks_total')).toBe(0);
    expect(sample(text, 'gwsim_circuit_state', { node: 'node47' })).toBe(0);
  });
});
