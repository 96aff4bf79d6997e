import { afterEach, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import type { KeyRow, NodeRow } from '../../src/events/live-events.js';
import type { SeriesPoint } from '../../src/events/live-series.js';
import type { TaskRow } from '../../src/events/task-row.js';
import { DEV, SEED_IMAGEN, startTestSim, type Envelope, type ErrorBody, type TestSim } from '../helpers/sim.js';
import { openSse, type SseClient, type SseEvent } from '../helpers/sse.js';

const NO_FAILURES = { models: { 'imagen-4': { failure_rate: 0 } } };

interface Hello {
  clock: { now_ms: number; mode: string };
  targets: string[];
  fault_kinds: Record<string, string[]>;
  nodes: NodeRow[];
  keys: KeyRow[];
  faults: unknown[];
  series: SeriesPoint[];
}

let sim: TestSim | undefined;
let stream: SseClient | undefined;
afterEach(async () => {
  stream?.close();
  stream = undefined;
  await sim?.close();
  sim = undefined;
});

const of =
  <T>(name: string, test: (data: T) => boolean = () => true) =>
  (e: SseEvent) =>
    e.event === name && test(e.data as T);

async function submit(s: TestSim): Promise<TaskView> {
  const reply = await s.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
  expect(reply.status).toBe(200);
  return reply.body.data;
}

/** Poll a condition a bounded number of times. */
async function until(cond: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

describe('GET /_sim/events', () => {
  it('is an event stream that starts with a hello holding the state the page starts from', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    stream = await openSse(`${sim.url}/_sim/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toContain('no-cache');
    const hello = await stream.next(of('hello'));
    expect(hello.id).toBe('1');
    const h = hello.data as Hello;
    expect(h.clock).toEqual({ now_ms: sim.clock.now(), mode: 'manual' });
    expect(h.targets).toEqual(
      expect.arrayContaining(['node41', 'node47', 'model:imagen-4', 'model:cogview-4', 'webhooks']),
    );
    expect(h.fault_kinds.node).toEqual(['outage', 'error_rate', 'latency_multiplier', 'timeout', 'capacity']);
    expect(h.fault_kinds.model).toEqual(['outage', 'error_rate', 'latency_multiplier', 'timeout']);
    expect(h.fault_kinds.webhooks).toEqual(['duplicate', 'delay', 'reorder']);
    expect(h.nodes.find((n) => n.id === 'node47')).toMatchObject({
      emulated: true,
      running: 0,
      queued: 0,
      circuit: 'closed',
      faults: [],
    });
    expect(h.keys).toEqual([
      expect.objectContaining({ key: DEV, balance: 10_000, held: 0, available: 10_000, rate_used: null }),
    ]);
    expect(h.faults).toEqual([]);
    expect(h.series).toEqual([]);
  });

  it('sends a task submitted after it opened, then its way to COMPLETED, the series and the key it charged', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    stream = await openSse(`${sim.url}/_sim/events`);
    await stream.next(of('hello'));
    const task = await submit(sim);
    const mine = (status: string) =>
      of<{ tasks: TaskRow[] }>('tasks', (d) => d.tasks.some((t) => t.task_id === task.task_id && t.status === status));
    const queued = await stream.next(mine('IN_PROGRESS'));
    expect((queued.data as { tasks: TaskRow[] }).tasks.find((t) => t.task_id === task.task_id)).toMatchObject({
      model: 'imagen-4',
      key: DEV,
      credits_held: 8,
    });
    await stream.next(
      of<{ keys: KeyRow[] }>('keys', (d) => d.keys.some((k) => k.key === DEV && k.held === 8 && k.rate_used === 1)),
    );

    await sim.clock.advance(60_000);
    const done = await stream.next(mine('COMPLETED'));
    expect((done.data as { tasks: TaskRow[] }).tasks.find((t) => t.task_id === task.task_id)).toMatchObject({
      credits_held: 0,
      credits_charged: 8,
      error: null,
    });
    await stream.next(
      of<{ keys: KeyRow[] }>('keys', (d) => d.keys.some((k) => k.key === DEV && k.balance === 9992 && k.held === 0)),
    );
    await stream.next(of<{ now_ms: number }>('clock', (c) => c.now_ms === sim!.clock.now()));
    // The series counts one submit, one start and one completion, and the latency of imagen-4.
    await until(() => {
      const points = stream!.events
        .filter((e) => e.event === 'series')
        .flatMap((e) => (e.data as { points: SeriesPoint[] }).points);
      const latest = new Map(points.map((p) => [p.t, p]));
      const sum = (k: 'created' | 'started' | 'completed') => [...latest.values()].reduce((n, p) => n + p[k], 0);
      return (
        sum('created') === 1 &&
        sum('started') === 1 &&
        sum('completed') === 1 &&
        [...latest.values()].some((p) => p.latency['imagen-4'] !== undefined)
      );
    });
    await stream.next(
      of<{ nodes: NodeRow[] }>('nodes', (d) =>
        d.nodes.some((n) => n.recent.completed === 1 && n.recent.p50_ms !== null),
      ),
    );
  });

  it('sends faults as they come and go, and the node they are on', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    stream = await openSse(`${sim.url}/_sim/events`);
    await stream.next(of('hello'));
    const added = await sim.admin_<{ id: string }>('POST', '/faults', { target: 'node41', kind: 'outage' });
    expect(added.status).toBe(201);
    await stream.next(
      of<{ faults: Array<{ id: string }> }>('faults', (d) => d.faults.some((f) => f.id === added.body.id)),
    );
    await stream.next(
      of<{ nodes: NodeRow[] }>('nodes', (d) => d.nodes.some((n) => n.id === 'node41' && n.faults.includes('outage'))),
    );
    await sim.admin_('DELETE', '/faults');
    await stream.next(of<{ faults: unknown[] }>('faults', (d) => d.faults.length === 0));
  });

  it('tells the page to start over on a reset', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    stream = await openSse(`${sim.url}/_sim/events`);
    await stream.next(of('hello'));
    await sim.admin_('POST', '/reset');
    await stream.next(of('reset'));
  });

  it('records nothing while no page listens, and stops when the last one leaves', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    await submit(sim);
    await sim.clock.advance(60_000);
    stream = await openSse(`${sim.url}/_sim/events`);
    const hello = (await stream.next(of('hello'))).data as Hello;
    // The task finished before anyone watched: no point, no recent figures.
    expect(hello.series).toEqual([]);
    expect(hello.nodes.every((n) => n.recent.completed === 0)).toBe(true);
    // A second page gets its own hello; both go, and a new one starts from nothing again.
    const second = await openSse(`${sim.url}/_sim/events`);
    await second.next(of('hello'));
    second.close();
    stream.close();
    await submit(sim);
    stream = await openSse(`${sim.url}/_sim/events`);
    expect(((await stream.next(of('hello'))).data as Hello).series).toEqual([]);
  });

  it('ends open streams when the simulator closes', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    stream = await openSse(`${sim.url}/_sim/events`);
    await stream.next(of('hello'));
    await sim.close();
    sim = undefined;
    await stream.ended;
  });

  it('with an admin token: 401 without it, the stream with it', async () => {
    sim = await startTestSim({ adminToken: 'tok-18' });
    const bare = await fetch(`${sim.url}/_sim/events`);
    expect(bare.status).toBe(401);
    const body = (await bare.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: 401, type: 'authentication_error' });
    expect(body.error.message).toContain('GWSIM_ADMIN_TOKEN');
    const wrong = await fetch(`${sim.url}/_sim/events`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    await wrong.body?.cancel();
    stream = await openSse(`${sim.url}/_sim/events`, { authorization: 'Bearer tok-18' });
    expect(stream.status).toBe(200);
    await stream.next(of('hello'));
  });
});
