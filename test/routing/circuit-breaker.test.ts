import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/clock.js';
import type { TaskView } from '../../src/gateway/task.js';
import { CircuitBreaker, type CircuitState } from '../../src/routing/circuit-breaker.js';
import { drain, SEED_IMAGEN, leftBy, snapshot, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';
import { sample } from '../metrics/prom.js';

const THRESHOLD = 3;
const COOLDOWN = 10_000;

describe('CircuitBreaker (unit, manual clock)', () => {
  let clock: ManualClock;
  let breaker: CircuitBreaker;
  let changes: Array<[string, CircuitState]>;

  beforeEach(() => {
    clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'), (err) => {
      throw err;
    });
    changes = [];
    breaker = new CircuitBreaker(clock, { threshold: THRESHOLD, cooldownMs: COOLDOWN }, (node, state) =>
      changes.push([node, state]),
    );
  });

  const fail = (n: number, node = 'node47') => {
    for (let i = 0; i < n; i++) breaker.failure(node);
  };

  it('a node nobody has called is closed and admits every call', () => {
    expect(breaker.state('node47')).toBe('closed');
    for (let i = 0; i < 5; i++) expect(breaker.tryPass('node47')).toBe(true);
    expect(breaker.anyAvailable(['node47'])).toBe(true);
    expect(breaker.msUntilAvailable(['node47'])).toBe(0);
  });

  it(`opens after ${THRESHOLD} consecutive failures, not before`, () => {
    fail(THRESHOLD - 1);
    expect(breaker.state('node47')).toBe('closed');
    expect(breaker.tryPass('node47')).toBe(true);
    expect(changes).toEqual([]);
    fail(1);
    expect(breaker.state('node47')).toBe('open');
    expect(breaker.tryPass('node47')).toBe(false);
    expect(breaker.anyAvailable(['node47'])).toBe(false);
    expect(changes).toEqual([['node47', 'open']]);
    // Circuits are per node.
    expect(breaker.state('node48')).toBe('closed');
    expect(breaker.anyAvailable(['node47', 'node48'])).toBe(true);
  });

  it('a success resets the count of consecutive failures', () => {
    fail(THRESHOLD - 1);
    breaker.success('node47');
    fail(THRESHOLD - 1);
    expect(breaker.state('node47')).toBe('closed');
    fail(1);
    expect(breaker.state('node47')).toBe('open');
  });

  it('stays open for the whole cooldown, then turns half-open', async () => {
    fail(THRESHOLD);
    expect(breaker.msUntilAvailable(['node47'])).toBe(COOLDOWN);
    await clock.advance(COOLDOWN - 1);
    expect(breaker.state('node47')).toBe('open');
    expect(breaker.tryPass('node47')).toBe(false);
    expect(breaker.msUntilAvailable(['node47'])).toBe(1);
    await clock.advance(1);
    expect(breaker.state('node47')).toBe('half_open');
    expect(breaker.msUntilAvailable(['node47'])).toBe(0);
    expect(breaker.anyAvailable(['node47'])).toBe(true);
  });

  it('half-open admits exactly one probe at a time', async () => {
    fail(THRESHOLD);
    await clock.advance(COOLDOWN);
    expect(breaker.tryPass('node47')).toBe(true);
    for (let i = 0; i < 5; i++) expect(breaker.tryPass('node47')).toBe(false);
    expect(breaker.anyAvailable(['node47'])).toBe(false);
    expect(changes.at(-1)).toEqual(['node47', 'half_open']);
  });

  it('a successful probe closes the circuit', async () => {
    fail(THRESHOLD);
    await clock.advance(COOLDOWN);
    expect(breaker.tryPass('node47')).toBe(true);
    breaker.success('node47');
    expect(breaker.state('node47')).toBe('closed');
    for (let i = 0; i < 3; i++) expect(breaker.tryPass('node47')).toBe(true);
    expect(changes).toEqual([
      ['node47', 'open'],
      ['node47', 'half_open'],
      ['node47', 'closed'],
    ]);
    // Closed with a fresh count: it takes the full threshold to open again.
    fail(THRESHOLD - 1);
    expect(breaker.state('node47')).toBe('closed');
  });

  it('a failed probe opens the circuit again for another full cooldown', async () => {
    fail(THRESHOLD);
    await clock.advance(COOLDOWN + 500);
    expect(breaker.tryPass('node47')).toBe(true);
    breaker.failure('node47');
    expect(breaker.state('node47')).toBe('open');
    expect(breaker.tryPass('node47')).toBe(false);
    expect(breaker.msUntilAvailable(['node47'])).toBe(COOLDOWN);
    await clock.advance(COOLDOWN - 1);
    expect(breaker.state('node47')).toBe('open');
    await clock.advance(1);
    expect(breaker.state('node47')).toBe('half_open');
    expect(breaker.tryPass('node47')).toBe(true);
    expect(changes.map(([, s]) => s)).toEqual(['open', 'half_open', 'open', 'half_open']);
  });

  it('reset closes every circuit', () => {
    fail(THRESHOLD);
    fail(THRESHOLD, 'node48');
    breaker.reset();
    expect(breaker.state('node47')).toBe('closed');
    expect(breaker.state('node48')).toBe('closed');
  });
});

describe('circuit state under the gateway (manual clock, HTTP)', () => {
  let sim: TestSim;
  afterEach(() => sim?.close());

  const circuit = async () =>
    sample((await sim.admin_<Buffer>('GET', '/metrics')).body.toString('utf8'), 'gwsim_circuit_state', {
      node: 'node47',
    });

  it('gwsim_circuit_state{node="node47"} goes 0 → 2 with an outage, and back to 0 after the cooldown and a successful probe', async () => {
    sim = await startTestSim({
      config: {
        models: { 'imagen-4': { failure_rate: 0 } },
        routing: { circuit: { threshold: 2, cooldown_ms: 30_000 } },
      },
    });
    expect(await circuit()).toBe(0);
    const fault = await sim.admin_<{ id: string }>('POST', '/faults', { target: 'node47', kind: 'outage' });
    expect(fault.status).toBe(201);

    const first = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    expect(first.status).toBe(200);
    await sim.clock.advance(5_000); // refused, backoff, refused: open; the third attempt finds no route
    const failed = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${first.body.data.task_id}`)).body.data;
    expect(failed.status).toBe('FAILED');
    expect(failed.attempts.map((a) => a.outcome)).toEqual(['refused', 'refused']);
    expect(failed.error!.message).toMatch(/node47/);
    expect(await circuit()).toBe(2);

    // Open: imagen-4 has no other route, so a submit is refused up front.
    const before = await snapshot(sim);
    const refused = await sim.call<Envelope<null>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await snapshot(sim)).toEqual(leftBy(before, refused));

    expect((await sim.admin_('DELETE', `/faults/${fault.body.id}`)).status).toBe(200);
    await sim.clock.advance(10_000);
    expect(await circuit()).toBe(2); // still inside the cooldown
    expect((await sim.call('POST', '/api/v1/images/generations', { body: SEED_IMAGEN })).status).toBe(503);
    await sim.clock.advance(20_000);

    const probe = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    expect(probe.status).toBe(200);
    await sim.clock.advance(0); // dispatched: the probe is accepted
    expect(await circuit()).toBe(0);
    await drain(sim);
    const done = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${probe.body.data.task_id}`)).body.data;
    expect(done).toMatchObject({ status: 'COMPLETED', node: 'node47' });
    expect(done.attempts.map((a) => a.outcome)).toEqual(['accepted']);
  });

  it('while the half-open probe hangs the gauge reads 1 and other submits get 503; the probe timing out opens it again (2)', async () => {
    sim = await startTestSim({
      config: {
        models: { 'imagen-4': { failure_rate: 0 } },
        routing: { max_attempts: 1, node_timeout_ms: 5_000, circuit: { threshold: 1, cooldown_ms: 30_000 } },
      },
    });
    await sim.admin_('POST', '/faults', { target: 'node47', kind: 'outage', duration_ms: 1_000 });
    expect((await sim.call('POST', '/api/v1/images/generations', { body: SEED_IMAGEN })).status).toBe(200);
    await sim.clock.advance(0);
    expect(await circuit()).toBe(2);

    await sim.admin_('POST', '/faults', { target: 'node47', kind: 'timeout' });
    await sim.clock.advance(30_000);
    const probe = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    expect(probe.status).toBe(200);
    await sim.clock.advance(0); // the probe is sent and hangs
    expect(await circuit()).toBe(1);
    expect((await sim.call('POST', '/api/v1/images/generations', { body: SEED_IMAGEN })).status).toBe(503);

    await sim.clock.advance(5_000);
    expect(await circuit()).toBe(2);
    const task = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${probe.body.data.task_id}`)).body.data;
    expect(task.status).toBe('FAILED');
    expect(task.attempts.map((a) => a.outcome)).toEqual(['timeout']);
  });
});
