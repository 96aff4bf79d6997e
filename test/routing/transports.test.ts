import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { MANUAL_EPOCH, ManualClock } from '../../src/clock/clock.js';
import type { TaskView } from '../../src/gateway/task.js';
import { FaultSet } from '../../src/nodes/faults.js';
import { nodeApp } from '../../src/nodes/node-app.js';
import { NodeEmulator } from '../../src/nodes/node-emulator.js';
import type { NodeTransport } from '../../src/nodes/node-fleet.js';
import { NodeService } from '../../src/nodes/node-service.js';
import { paths } from '../../src/paths.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators } from '../../src/spec/validators.js';
import { SEED_COGVIEW, SEED_IMAGEN, settling, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';
import { sample } from '../metrics/prom.js';

const GEN = '/api/v1/images/generations';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sims: TestSim[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function start(options: Parameters<typeof startTestSim>[0]): Promise<TestSim> {
  const sim = await startTestSim(options);
  sims.push(sim);
  return sim;
}

/** A task view with the simulator's own address taken out, to compare two simulators. */
const portless = (sim: TestSim, t: TaskView) => JSON.parse(JSON.stringify(t).replaceAll(sim.url, 'BASE')) as TaskView;

/** The two seed journeys, as test/gateway/seed-journeys.test.ts runs them; the tasks they end with. */
async function seedJourneys(
  transport: NodeTransport,
): Promise<{ imagen: TaskView; imagenSeen: string[]; cogview: TaskView }> {
  // One URL secret for both, so their image URLs compare equal too.
  const sim = await start({
    nodeTransport: transport,
    config: {
      models: { 'imagen-4': { failure_rate: 0 }, 'cogview-4': { failure_rate: 0 } },
      images: { url_secret: 'transports-url-secret' },
    },
  });
  const submit = await sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_IMAGEN });
  expect(submit.status).toBe(200);
  expect(submit.body.data).toMatchObject({ status: 'IN_PROGRESS', node: 'node47', credits_held: 8 });
  const seen: string[] = [];
  let imagen = submit.body.data;
  for (let step = 0; step < 200 && imagen.status !== 'COMPLETED' && imagen.status !== 'FAILED'; step++) {
    await sim.clock.advance(100);
    imagen = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${imagen.task_id}`)).body.data;
    if (seen.at(-1) !== imagen.status) seen.push(imagen.status);
  }
  expect(imagen).toMatchObject({ status: 'COMPLETED', credits_charged: 8, credits_held: 0 });
  const png = await fetch(imagen.output!.images[0]!.url);
  expect(png.status).toBe(200);
  expect(png.headers.get('content-type')).toBe('image/png');
  await png.arrayBuffer();

  const reply = await settling(
    sim,
    sim.call<Envelope<TaskView>>('POST', GEN, { body: { ...SEED_COGVIEW, size: '768*1344' } }),
  );
  expect(reply.status).toBe(200);
  expect(reply.body.data).toMatchObject({ status: 'COMPLETED', model: 'cogview-4', credits_charged: 4 });
  expect(reply.body.data.output!.images[0]).toMatchObject({ width: 768, height: 1344 });
  const credits = (await sim.call<Envelope<{ balance: number; held: number }>>('GET', '/api/v1/credits')).body.data;
  expect(credits).toMatchObject({ balance: 10_000 - 12, held: 0 });
  return { imagen: portless(sim, imagen), imagenSeen: seen, cogview: portless(sim, reply.body.data) };
}

describe('node transports', () => {
  it('the seed journeys pass over HTTP to the emulated nodes exactly as in-process: same tasks, times and attempts', async () => {
    const http = await seedJourneys('http');
    const inProcess = await seedJourneys('in-process');
    expect(http.imagenSeen).toContain('IN_PROGRESS');
    expect(http).toEqual(inProcess);
  });

  it('a gateway pointed at a node by URL (nodes.node47.url) sends it the work: the task is served by node47 and completes', async () => {
    // node47 on its own, as `gwsim node` would run it, with a manual clock of its own.
    const catalog = loadCatalog();
    const nodeClock = new ManualClock(MANUAL_EPOCH, (err) => {
      throw err;
    });
    const emulator = new NodeEmulator({
      node: catalog.nodes.get('node47')!,
      catalog,
      clock: nodeClock,
      faults: new FaultSet(nodeClock),
      seed: 5,
      timeScale: 1,
    });
    const service = new NodeService(emulator, catalog, new SpecValidators(loadSpec(paths.nodeSpec), 'node'));
    const server = createServer(nodeApp(service));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const sim = await start({ config: { nodes: { node47: { url } }, models: { 'imagen-4': { failure_rate: 0 } } } });
    const submit = await sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_IMAGEN });
    expect(submit.status).toBe(200);
    const id = submit.body.data.task_id;
    // The gateway submitted to the remote node within the submit, which started the job at once.
    expect(submit.body.data).toMatchObject({ status: 'IN_PROGRESS', node: 'node47' });
    expect(await emulator.health()).toMatchObject({ running: 1 });
    expect(await emulator.get(id)).toMatchObject({ id, model: 'imagen4', state: 'running' });
    const running = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${id}`)).body.data;
    expect(running).toMatchObject({ status: 'IN_PROGRESS', node: 'node47', provider: 'Google' });
    expect(running.attempts).toEqual([
      { node: 'node47', provider: 'Google', at: MANUAL_EPOCH, outcome: 'accepted', detail: null },
    ]);

    await nodeClock.advance(60_000); // the node finishes on its own clock
    expect((await emulator.get(id))?.state).toBe('succeeded');
    await sim.clock.advance(10_000); // the gateway's polls find out
    const stored = (await sim.admin.tasks({})).find((t) => t.id === id)!;
    expect(stored.status).toBe('COMPLETED');
    const done = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${id}`)).body.data;
    expect(done).toMatchObject({ status: 'COMPLETED', node: 'node47', credits_charged: 8 });
    expect(done.output!.images).toHaveLength(1);
  });

  it.each(['in-process', 'http'] as const)(
    '%s: a GET of a task whose node hangs answers at once from the stored task; polls resume after the fault',
    async (transport) => {
      const sim = await start({
        nodeTransport: transport,
        config: { models: { 'imagen-4': { failure_rate: 0 } }, routing: { node_timeout_ms: 10_000 } },
      });
      const submit = await sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_IMAGEN });
      const id = submit.body.data.task_id;
      await sim.clock.advance(0);
      const fault = await sim.admin_<{ id: string }>('POST', '/faults', { target: 'node47', kind: 'timeout' });
      await sim.clock.advance(1_000); // a poll is now held by node47
      const read = await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${id}`);
      expect(read.status).toBe(200);
      expect(read.body.data).toMatchObject({ status: 'IN_PROGRESS', node: 'node47' });
      await sim.admin_('DELETE', `/faults/${fault.body.id}`);
      await sim.clock.advance(30_000); // the held poll times out, the next one finds the job done
      const text = (await sim.admin_<Buffer>('GET', '/metrics')).body.toString('utf8');
      expect(sample(text, 'gwsim_node_calls_total', { node: 'node47', call: 'poll', outcome: 'timeout' })).toBe(1);
      expect((await sim.admin.tasks({})).find((t) => t.id === id)!.status).toBe('COMPLETED');
    },
  );

  it('over HTTP, a timeout fault on node48 fails cogview-4 over to node49 once the clock passes node_timeout_ms (5 s)', async () => {
    const sim = await start({
      nodeTransport: 'http',
      config: { models: { 'cogview-4': { failure_rate: 0 } }, routing: { node_timeout_ms: 5000, backoff_ms: 200 } },
    });
    expect((await sim.admin_('POST', '/faults', { target: 'node48', kind: 'timeout' })).status).toBe(201);
    // Tasks whose first route is node49 just complete; keep going until one starts at node48 (3 in 4 do).
    let task: TaskView | undefined;
    for (let i = 0; i < 8 && !task; i++) {
      const pending = sim.call<Envelope<TaskView>>('POST', GEN, { body: SEED_COGVIEW });
      let open = (await sim.admin.tasks({ status: 'IN_QUEUE' }))[0];
      for (let j = 0; j < 200 && !open; j++) {
        await pause(2);
        open = (await sim.admin.tasks({ status: 'IN_QUEUE' }))[0];
      }
      expect(open, 'the sync request created its task').toBeDefined();
      if (!open!.id.startsWith('n48')) {
        expect((await settling(sim, pending)).body.data).toMatchObject({ status: 'COMPLETED', node: 'node49' });
        continue;
      }
      const t0 = sim.clock.now();
      await sim.clock.advance(0); // sent to node48, which holds it: the clock is not stuck on it
      const calls = () => sim.admin_<Buffer>('GET', '/metrics').then((r) => r.body.toString('utf8'));
      expect(
        sample(await calls(), 'gwsim_node_calls_total', { node: 'node48', call: 'submit', outcome: 'timeout' }),
      ).toBeUndefined();
      await sim.clock.advance(4_999);
      expect(
        sample(await calls(), 'gwsim_node_calls_total', { node: 'node48', call: 'submit', outcome: 'timeout' }),
      ).toBeUndefined();
      await sim.clock.advance(1); // 5 s: node48 times out
      expect(
        sample(await calls(), 'gwsim_node_calls_total', { node: 'node48', call: 'submit', outcome: 'timeout' }),
      ).toBe(1);
      const reply = await settling(sim, pending);
      task = reply.body.data;
      expect(task).toMatchObject({ status: 'COMPLETED', node: 'node49', provider: 'WaveSpeed', credits_charged: 4 });
      expect(task.attempts.map((a) => [a.node, a.outcome, a.at - t0])).toEqual([
        ['node48', 'timeout', 0],
        ['node49', 'accepted', 5000 + 200],
      ]);
      expect(task.attempts[0]!.detail).toMatch(/5000 ms/);
      const text = await calls();
      expect(sample(text, 'gwsim_failovers_total', { model: 'cogview-4', from: 'node48', to: 'node49' })).toBe(1);
    }
    expect(task, 'a task that tried node48 first').toBeDefined();
  });
});
