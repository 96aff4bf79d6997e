import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { ManualClock } from '../../src/clock/clock.js';
import { pactJob } from '../../src/contracts/node-states.js';
import { FaultSet } from '../../src/nodes/faults.js';
import { nodeApp } from '../../src/nodes/node-app.js';
import { NodeEmulator } from '../../src/nodes/node-emulator.js';
import { NodeService } from '../../src/nodes/node-service.js';
import { paths } from '../../src/paths.js';
import { startSimulator } from '../../src/simulator.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators } from '../../src/spec/validators.js';
import { snapshot, startTestSim, type Envelope, type ErrorBody, type TestSim } from '../helpers/sim.js';

type TaskData = {
  task_id: string;
  status: string;
  credits_held: number;
  output: { images: Array<{ url: string }> } | null;
  error: unknown;
  key: string;
};

let sim: TestSim;
beforeAll(async () => {
  sim = await startTestSim({ clock: 'real', timeScale: 0.01 });
});
afterAll(() => sim?.close());

describe('POST /_sim/tasks (task fixtures for provider states)', () => {
  it.each(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED', 'FAILED'])(
    'makes a task %s that stays there, spending nothing',
    async (status) => {
      const before = await snapshot(sim);
      const made = await sim.admin_<TaskData>('POST', '/tasks', { key: 'aio_dev_key', model: 'imagen4', status });
      expect(made.status).toBe(201);
      expect(made.body).toMatchObject({ status, credits_held: 0, key: 'aio_dev_key' });
      await new Promise((r) => setTimeout(r, 200)); // at --time-scale 0.01 a real task would have moved on by now
      const read = await sim.call<Envelope<TaskData>>('GET', `/api/v1/tasks/${made.body.task_id}`);
      expect(read.body.data.status).toBe(status);
      const after = await snapshot(sim);
      expect(after.credits).toEqual(before.credits);
      expect(after.ledger).toBe(before.ledger);
      if (status === 'COMPLETED')
        expect((await fetch(read.body.data.output!.images[0]!.url)).headers.get('content-type')).toBe('image/png');
      if (status === 'FAILED') expect(read.body.data.error).toMatchObject({ code: 'provider_error' });
    },
  );

  it.each([
    ['not an object', [1], '(body)'],
    ['an unknown field', { key: 'aio_dev_key', model: 'imagen4', status: 'FAILED', colour: 'red' }, 'colour'],
    ['an unknown key', { key: 'aio_nobody', model: 'imagen4', status: 'COMPLETED' }, 'key'],
    ['an unknown model', { key: 'aio_dev_key', model: 'imagen5', status: 'COMPLETED' }, 'model'],
    ['a bad status', { key: 'aio_dev_key', model: 'imagen4', status: 'DONE' }, 'status'],
    [
      'an error on a COMPLETED task',
      { key: 'aio_dev_key', model: 'imagen4', status: 'COMPLETED', error: { code: 'x', message: 'y' } },
      'error',
    ],
    [
      'an error code the spec does not list',
      { key: 'aio_dev_key', model: 'imagen4', status: 'FAILED', error: { code: 'oops', message: 'y' } },
      'error.code',
    ],
    ['num_images of 0', { key: 'aio_dev_key', model: 'imagen4', status: 'COMPLETED', num_images: 0 }, 'num_images'],
    [
      'a callback_url elsewhere',
      { key: 'aio_dev_key', model: 'imagen4', status: 'COMPLETED', callback_url: 'http://example.com/hook' },
      'callback_url',
    ],
  ])('refuses %s with a 400 naming the field, and changes nothing', async (_what, body, field) => {
    const before = await snapshot(sim);
    const res = await sim.admin_<ErrorBody>('POST', '/tasks', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 400, type: 'invalid_request_error' } });
    expect(res.body.error.message).toContain(`'${field}'`);
    expect(await snapshot(sim)).toEqual(before);
  });
});

describe('startSimulator({ admin: false }) (gwsim serve --no-admin)', () => {
  it('answers /_sim/* with 404 in the error shape, and serves the public API', async () => {
    const off = await startSimulator({ port: 0, admin: false });
    try {
      for (const [method, path] of [
        ['GET', '/_sim/clock'],
        ['POST', '/_sim/reset'],
        ['POST', '/_sim/tasks'],
      ] as const) {
        const res = await fetch(off.url + path, {
          method,
          headers: { 'content-type': 'application/json' },
          ...(method === 'POST' ? { body: '{}' } : {}),
        });
        expect(res.status).toBe(404);
        expect(await res.json()).toMatchObject({ error: { code: 404, type: 'not_found_error' } });
      }
      const credits = await fetch(`${off.url}/api/v1/credits`, { headers: { authorization: 'Bearer aio_dev_key' } });
      expect(credits.status).toBe(200);
    } finally {
      await off.close();
    }
  });
});

describe('POST /_sim/jobs on a gwsim node (job fixtures)', () => {
  let server: Server;
  let url: string;
  let emulator: NodeEmulator;
  beforeAll(async () => {
    const catalog = loadCatalog();
    const clock = new ManualClock(Date.UTC(2026, 0, 1), () => undefined);
    const faults = new FaultSet(clock);
    emulator = new NodeEmulator({ node: catalog.nodes.get('node47')!, catalog, clock, faults, seed: 1, timeScale: 1 });
    const service = new NodeService(emulator, catalog, new SpecValidators(loadSpec(paths.nodeSpec), 'node'));
    server = createServer(
      nodeApp(service, undefined, undefined, { faults, catalog, clock, reset: () => emulator.reset() }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  const post = async (path: string, body: unknown) => {
    const res = await fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & ErrorBody };
  };

  it.each(['queued', 'running', 'succeeded', 'failed'])(
    "holds a job %s on the node's manual clock, whatever time does",
    async (state) => {
      const made = await post('/_sim/jobs', { ...pactJob(`n47fixture_${state}`), state });
      expect(made.status).toBe(201);
      expect((await post('/_sim/clock/advance', { ms: 600_000 })).status).toBe(200);
      const read = (await (await fetch(`${url}/v1/jobs/n47fixture_${state}`)).json()) as {
        state: string;
        result: unknown;
      };
      expect(read.state).toBe(state);
      expect(read.result === null).toBe(state !== 'succeeded');
    },
  );

  it.each([
    ['a bad state', { ...pactJob('n47bad_1'), state: 'done' }, 'state'],
    ['a missing job_id', { ...pactJob('n47bad_2'), job_id: undefined, state: 'running' }, 'job_id'],
    ['a model the node does not serve', { ...pactJob('n47bad_3'), model: 'cogview-4', state: 'running' }, 'model'],
    [
      'an error on a running job',
      { ...pactJob('n47bad_4'), state: 'running', error: { type: 'x', detail: 'y' } },
      'error',
    ],
  ])('refuses %s with a 400 naming the field, storing nothing', async (_what, body, field) => {
    const res = await post('/_sim/jobs', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 400, type: 'invalid_request_error' } });
    expect(res.body.error.message).toContain(field);
    expect(await emulator.get(String((body as { job_id?: string }).job_id))).toBeUndefined();
  });
});
