import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { ManualClock, RealClock } from '../../src/clock/clock.js';
import { FaultSet } from '../../src/nodes/faults.js';
import { nodeApp } from '../../src/nodes/node-app.js';
import { HttpNodeClient, NodeCallError } from '../../src/nodes/node-client.js';
import { NodeEmulator, type JobRequest } from '../../src/nodes/node-emulator.js';
import { NodeService } from '../../src/nodes/node-service.js';
import { paths } from '../../src/paths.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators } from '../../src/spec/validators.js';

const validators = new SpecValidators(loadSpec(paths.nodeSpec), 'node');
const catalog = loadCatalog();

interface Rig {
  url: string;
  client: HttpNodeClient;
  faults: FaultSet;
  /** Every request the node got: method and URL. */
  requests: string[];
}

const servers: Server[] = [];
const clients: HttpNodeClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const job = (id: string): JobRequest => ({
  job_id: id,
  model: 'imagen4',
  prompt: 'A photorealistic bowl of ramen',
  params: { aspect_ratio: '1:1' },
  num_images: 1,
  width: 1024,
  height: 1024,
});

/** node47 over HTTP (capacity 1, so the second job queues), with jobs a and b submitted. */
async function rig(token?: string): Promise<Rig> {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'), (err) => {
    throw err;
  });
  const faults = new FaultSet(clock);
  const emulator = new NodeEmulator({
    node: catalog.nodes.get('node47')!,
    catalog,
    clock,
    faults,
    seed: 1,
    timeScale: 1,
    capacity: 1,
  });
  const service = new NodeService(emulator, catalog, validators);
  await service.submitJob(job('n47batchjob00a_imagen4'));
  await service.submitJob(job('n47batchjob00b_imagen4'));
  const requests: string[] = [];
  const app = nodeApp(service, token);
  const url = await serve((req, res) => (requests.push(`${req.method} ${req.url}`), app(req, res)));
  // The client on the real clock: it batches reads only there (the manual clock runs one step at a time).
  const client = new HttpNodeClient(url, {
    node: 'node47',
    clock: new RealClock(() => undefined),
    timeoutMs: 5000,
    token,
  });
  clients.push(client);
  return { url, client, faults, requests };
}

const get = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
};

describe('GET /v1/jobs?ids=… (a batch read of jobs)', () => {
  it('answers the known jobs in the order asked and lists the unknown ids, as the spec declares', async () => {
    const { url } = await rig();
    const reply = await get(`${url}/v1/jobs?ids=n47batchjob00b_imagen4,n47nosuchjob000_imagen4,n47batchjob00a_imagen4`);
    expect(reply.status).toBe(200);
    const validate = validators.response('/v1/jobs', 'get', 200);
    expect(validate?.(reply.body), validate && validators.describe(validate)).toBe(true);
    const body = reply.body as { jobs: Array<{ id: string; state: string }>; missing: string[] };
    expect(body.jobs.map((j) => [j.id, j.state])).toEqual([
      ['n47batchjob00b_imagen4', 'queued'],
      ['n47batchjob00a_imagen4', 'running'],
    ]);
    expect(body.missing).toEqual(['n47nosuchjob000_imagen4']);
  });

  it('refuses a bad ids list with 400 naming ids, and reads nothing', async () => {
    const { url, requests } = await rig();
    const many = Array.from({ length: 101 }, (_, i) => `n47job${i}`).join(',');
    for (const [query, says] of [
      ['', "'ids' is required"],
      ['?ids=', "'ids'[0] is empty"],
      ['?ids=a,,b', "'ids'[1] is empty"],
      [`?ids=${many}`, "'ids' has 101 ids, at most 100"],
      [`?ids=a,${'x'.repeat(129)}`, "'ids'[1] is longer than 128 characters"],
      ['?ids=a,b,a', "'ids' names a job more than once"],
      ['?ids=a&ids=b', "'ids' is given more than once"],
    ] as const) {
      const reply = await get(`${url}/v1/jobs${query}`);
      expect(reply.status, query).toBe(400);
      expect(reply.body).toEqual({ error: { type: 'invalid_request', detail: expect.stringContaining(says) } });
    }
    // Nothing changed: both jobs are where they were.
    const after = (await get(`${url}/v1/jobs?ids=n47batchjob00a_imagen4,n47batchjob00b_imagen4`)).body as {
      jobs: Array<{ state: string }>;
    };
    expect(after.jobs.map((j) => j.state)).toEqual(['running', 'queued']);
    expect(requests).toHaveLength(8);
  });

  it('needs the node token like every job route, and meets the node faults as one call', async () => {
    const { url, faults } = await rig('node-secret');
    expect((await get(`${url}/v1/jobs?ids=a`)).status).toBe(401);
    const auth = { headers: { authorization: 'Bearer node-secret' } };
    expect((await get(`${url}/v1/jobs?ids=a`, auth)).status).toBe(200);
    faults.add({ target: 'node47', kind: 'error_rate', value: 1 });
    expect((await get(`${url}/v1/jobs?ids=a`, auth)).status).toBe(503);
  });
});

describe('HttpNodeClient: reads due together are one batch read', () => {
  it('reads asked in one turn go as one request, each answered as its own read would be', async () => {
    const { client, requests } = await rig();
    const ids = [
      'n47batchjob00a_imagen4',
      'n47nosuchjob000_imagen4',
      'n47batchjob00b_imagen4',
      'n47batchjob00a_imagen4',
    ];
    const together = await Promise.all(ids.map((id) => client.getJob(id)));
    expect(requests).toEqual([
      'GET /v1/jobs?ids=n47batchjob00a_imagen4,n47nosuchjob000_imagen4,n47batchjob00b_imagen4',
    ]);
    const alone: unknown[] = [];
    for (const id of ids) alone.push(await client.getJob(id));
    expect(together).toEqual(alone);
    expect(together.map((j) => j?.state)).toEqual(['running', undefined, 'queued', 'running']);
    // A lone read stays the plain route.
    expect(requests.at(-1)).toBe('GET /v1/jobs/n47batchjob00a_imagen4');
  });

  it('a failure of the batch is every read’s failure; a node without the route is read one job at a time', async () => {
    const { client, faults } = await rig();
    faults.add({ target: 'node47', kind: 'outage' });
    const failed = await Promise.allSettled([client.getJob('a'), client.getJob('b')]);
    for (const f of failed) {
      expect(f.status).toBe('rejected');
      expect((f as PromiseRejectedResult).reason).toBeInstanceOf(NodeCallError);
      expect(((f as PromiseRejectedResult).reason as NodeCallError).kind).toBe('refused');
    }

    // An older node: GET /v1/jobs is no route (404); single reads answer.
    const seen: string[] = [];
    const url = await serve((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const single = /^\/v1\/jobs\/(.+)$/.exec(req.url ?? '');
      res.writeHead(single ? 200 : 404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          single ? { id: single[1], state: 'running' } : { error: { type: 'not_found', detail: 'no route' } },
        ),
      );
    });
    const old = new HttpNodeClient(url, {
      node: 'node47',
      clock: new RealClock(() => undefined),
      timeoutMs: 5000,
    });
    const first = await Promise.all([old.getJob('a'), old.getJob('b')]);
    const second = await Promise.all([old.getJob('c'), old.getJob('d')]);
    expect([...first, ...second].map((j) => j?.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(seen).toEqual([
      'GET /v1/jobs?ids=a,b',
      'GET /v1/jobs/a',
      'GET /v1/jobs/b',
      'GET /v1/jobs/c',
      'GET /v1/jobs/d',
    ]);
    await old.close();
  });
});
