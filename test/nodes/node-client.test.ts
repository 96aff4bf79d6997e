import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { ManualClock } from '../../src/clock/clock.js';
import { FaultSet } from '../../src/nodes/faults.js';
import { nodeApp } from '../../src/nodes/node-app.js';
import {
  CALL_HEADER,
  HttpNodeClient,
  InProcessNodeClient,
  NodeCallError,
  type NodeClient,
} from '../../src/nodes/node-client.js';
import { NodeEmulator, type Job, type JobRequest } from '../../src/nodes/node-emulator.js';
import { NodeService } from '../../src/nodes/node-service.js';
import { paths } from '../../src/paths.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators } from '../../src/spec/validators.js';

const EPOCH = Date.parse('2026-01-01T00:00:00Z');
const TIMEOUT_MS = 5000;
const validators = new SpecValidators(loadSpec(paths.nodeSpec), 'node');
const catalog = loadCatalog();

/** What a contract run gets: a client to node47, the node's service, its clock and faults. */
interface ClientRig {
  client: NodeClient;
  service: NodeService;
  clock: ManualClock;
  faults: FaultSet;
  close(): Promise<void>;
}

function node47(): Omit<ClientRig, 'client' | 'close'> {
  const clock = new ManualClock(EPOCH, (err) => {
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
  return { clock, faults, service: new NodeService(emulator, catalog, validators) };
}

const job = (id: string, over: Partial<JobRequest> = {}): JobRequest => ({
  job_id: id,
  model: 'imagen4',
  prompt: 'A photorealistic bowl of ramen',
  params: { aspect_ratio: '1:1' },
  num_images: 2,
  width: 1024,
  height: 1024,
  ...over,
});

/** Check a value against the response schema openapi/node.yaml declares for it. */
function conforms(path: string, method: string, status: number, body: unknown): void {
  const validate = validators.response(path, method, status);
  expect(validate, `${method.toUpperCase()} ${path} ${status} is declared`).toBeDefined();
  expect(validate!(body), validators.describe(validate!)).toBe(true);
}

/** Settle a promise into [value] or [undefined, error], to inspect rejections. */
async function outcome<T>(p: Promise<T>): Promise<[T] | [undefined, unknown]> {
  try {
    return [await p];
  } catch (err) {
    return [undefined, err];
  }
}

function expectCallError(err: unknown, kind: NodeCallError['kind'], status?: number): void {
  expect(err).toBeInstanceOf(NodeCallError);
  const e = err as NodeCallError;
  expect(e.kind).toBe(kind);
  expect(e.node).toBe('node47');
  expect(e.message).toMatch(new RegExp(`^node47: ${kind}: `));
  if (status !== undefined) expect(e.status).toBe(status);
}

/** The one suite every NodeClient transport must pass. */
function runNodeClientContract(name: string, makeClient: () => Promise<ClientRig>): void {
  describe(`NodeClient contract: ${name}`, () => {
    let rig: ClientRig;
    beforeEach(async () => {
      rig = await makeClient();
    });
    afterEach(() => rig.close());

    it('submit answers the job as accepted, queued beyond capacity; getJob reads it; both as the node spec says', async () => {
      const { client, clock } = rig;
      const a = await client.submit(job('n47aaaa_imagen4'));
      const b = await client.submit(job('n47bbbb_imagen4'));
      conforms('/v1/jobs', 'post', 202, a);
      conforms('/v1/jobs', 'post', 202, b);
      expect(a).toEqual({
        id: 'n47aaaa_imagen4',
        model: 'imagen4',
        state: 'running',
        queue_position: null,
        submitted_at: EPOCH,
        started_at: EPOCH,
        finished_at: null,
        result: null,
        error: null,
      });
      expect(b).toMatchObject({ id: 'n47bbbb_imagen4', state: 'queued', queue_position: 1, started_at: null });
      // Idempotent on job_id through the transport too.
      expect(await client.submit(job('n47aaaa_imagen4'))).toEqual(a);

      const read = await client.getJob('n47aaaa_imagen4');
      conforms('/v1/jobs/{job_id}', 'get', 200, read);
      expect(read).toEqual(a);

      await clock.advance(60_000);
      const done = (await client.getJob('n47aaaa_imagen4'))!;
      conforms('/v1/jobs/{job_id}', 'get', 200, done);
      expect(['succeeded', 'failed']).toContain(done.state);
      expect(done.finished_at).toBeGreaterThan(EPOCH);
      // Exactly what the node itself says: the transport adds and loses nothing.
      expect(done).toEqual(((await rig.service.getJob('n47aaaa_imagen4')) as { body: Job }).body);
    });

    it('health answers the node, its capacity and load', async () => {
      const { client } = rig;
      await client.submit(job('n47h1_imagen4'));
      await client.submit(job('n47h2_imagen4'));
      const health = await client.health();
      conforms('/v1/health', 'get', 200, health);
      expect(health).toEqual({ status: 'ok', node: 'node47', capacity: 1, running: 1, queued: 1 });
    });

    it('getJob of an unknown id is undefined', async () => {
      expect(await rig.client.getJob('n47unknown_imagen4')).toBeUndefined();
      expect(await rig.client.getJob('with/slash and space')).toBeUndefined();
    });

    it("an outage fails every call with kind 'refused'", async () => {
      rig.faults.add({ target: 'node47', kind: 'outage' });
      for (const call of [
        rig.client.submit(job('n47o_imagen4')),
        rig.client.getJob('n47o_imagen4'),
        rig.client.health(),
      ]) {
        const [, err] = await outcome<unknown>(call);
        expectCallError(err, 'refused');
      }
    });

    it("error_rate 1 fails submit and getJob with kind 'error' (HTTP 503)", async () => {
      rig.faults.add({ target: 'node47', kind: 'error_rate', value: 1 });
      const [, submitErr] = await outcome(rig.client.submit(job('n47e_imagen4')));
      expectCallError(submitErr, 'error', 503);
      const [, getErr] = await outcome(rig.client.getJob('n47e_imagen4'));
      expectCallError(getErr, 'error', 503);
      expect((submitErr as Error).message).toMatch(/error_rate/);
    });

    it("a bad request fails with kind 'rejected' (HTTP 400), naming the problem", async () => {
      const [, unsupported] = await outcome(rig.client.submit(job('n47r_imagen4', { model: 'cogview-4' })));
      expectCallError(unsupported, 'rejected', 400);
      expect((unsupported as Error).message).toMatch(/cogview-4/);
      const [, invalid] = await outcome(rig.client.submit(job('n47r_imagen4', { num_images: 0 })));
      expectCallError(invalid, 'rejected', 400);
      expect((invalid as Error).message).toMatch(/num_images/);
    });

    it(`a timeout fault: the call is reported hung, and fails with kind 'timeout' once the clock passes ${TIMEOUT_MS} ms`, async () => {
      const { client, clock, faults } = rig;
      faults.add({ target: 'node47', kind: 'timeout' });
      let settled = false;
      let pending!: Promise<[Job] | [undefined, unknown]>;
      const hung = new Promise<number>((resolve) => {
        const call = client.submit(job('n47t_imagen4'), { onHung: resolve });
        void call.then(
          () => (settled = true),
          () => (settled = true),
        );
        pending = outcome(call);
      });
      expect(await hung).toBe(EPOCH + TIMEOUT_MS);
      await clock.advance(TIMEOUT_MS - 1);
      expect(settled).toBe(false);
      await clock.advance(1);
      const [, err] = await pending;
      expectCallError(err, 'timeout');
      expect((err as Error).message).toMatch(String(TIMEOUT_MS));

      // Without hooks the same: getJob hangs until the timeout.
      const get = outcome(client.getJob('n47t_imagen4'));
      await clock.advance(TIMEOUT_MS);
      expectCallError((await get)[1], 'timeout');
    });
  });
}

runNodeClientContract('in-process', async () => {
  const rig = node47();
  const client = new InProcessNodeClient(rig.service, { node: 'node47', clock: rig.clock, timeoutMs: TIMEOUT_MS });
  return { ...rig, client, close: () => client.close() };
});

/** node47 served by nodeApp on 127.0.0.1:0; hangs reported to the client as the fleet wires it. */
async function serve(
  service: NodeService,
  token?: string,
  onHang?: Parameters<typeof nodeApp>[2],
): Promise<{ server: Server; url: string }> {
  const server = createServer(nodeApp(service, token, onHang));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

runNodeClientContract('HTTP', async () => {
  const rig = node47();
  let client: HttpNodeClient | undefined;
  const { server, url } = await serve(rig.service, undefined, (req) => client?.hung(String(req.headers[CALL_HEADER])));
  client = new HttpNodeClient(url, { node: 'node47', clock: rig.clock, timeoutMs: TIMEOUT_MS, tagCalls: true });
  const c = client;
  return {
    ...rig,
    client: c,
    close: async () => {
      await c.close();
      await stop(server);
    },
  };
});

describe('HttpNodeClient specifics', () => {
  it("a node nobody listens on fails with kind 'refused'", async () => {
    const rig = node47();
    const { server, url } = await serve(rig.service);
    await stop(server); // the port is free now
    const client = new HttpNodeClient(url, { node: 'node47', clock: rig.clock, timeoutMs: TIMEOUT_MS });
    const [, err] = await outcome(client.health());
    expectCallError(err, 'refused');
    await client.close();
  });

  it("sends the node token; a wrong one is 'rejected' (401)", async () => {
    const rig = node47();
    const { server, url } = await serve(rig.service, 's3cret');
    const good = new HttpNodeClient(url, { node: 'node47', clock: rig.clock, timeoutMs: TIMEOUT_MS, token: 's3cret' });
    const bad = new HttpNodeClient(url, { node: 'node47', clock: rig.clock, timeoutMs: TIMEOUT_MS, token: 'nope' });
    try {
      expect(await good.submit(job('n47tok_imagen4'))).toMatchObject({ id: 'n47tok_imagen4' });
      const [, err] = await outcome(bad.getJob('n47tok_imagen4'));
      expectCallError(err, 'rejected', 401);
      expect(await bad.health()).toMatchObject({ node: 'node47' }); // health needs no token
    } finally {
      await good.close();
      await bad.close();
      await stop(server);
    }
  });
});

describe('the node HTTP app (openapi/node.yaml over HTTP)', () => {
  let server: Server;
  let url: string;
  beforeEach(async () => {
    ({ server, url } = await serve(node47().service));
  });
  afterEach(() => stop(server));

  async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
    const res = await fetch(url + path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: (await res.json()) as { error?: { type: string; detail: string } },
    };
  }

  const isError = (body: unknown) => {
    const validate = validators.schema('Error');
    expect(validate(body), validators.describe(validate)).toBe(true);
  };

  it('GET /v1/health → 200 with the node and its load', async () => {
    const res = await call('GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    conforms('/v1/health', 'get', 200, res.body);
    expect(res.body).toMatchObject({ status: 'ok', node: 'node47', capacity: 1 });
  });

  it('POST /v1/jobs with malformed JSON → 400 {error: {type, detail}}', async () => {
    const res = await call('POST', '/v1/jobs', '{"job_id": ');
    expect(res.status).toBe(400);
    conforms('/v1/jobs', 'post', 400, res.body);
    expect(res.body.error!.type).toBe('invalid_request');
    expect(res.body.error!.detail).toMatch(/\S/);
  });

  it('POST /v1/jobs with missing or wrong fields → 400 naming the field', async () => {
    const { prompt: _p, ...noPrompt } = job('n47x_imagen4');
    const missing = await call('POST', '/v1/jobs', JSON.stringify(noPrompt));
    expect(missing.status).toBe(400);
    conforms('/v1/jobs', 'post', 400, missing.body);
    expect(missing.body.error!.detail).toMatch(/prompt/);
    const extra = await call('POST', '/v1/jobs', JSON.stringify({ ...job('n47x_imagen4'), colour: 'red' }));
    expect(extra.status).toBe(400);
    expect(extra.body.error!.detail).toMatch(/colour|additional/);
    const notObject = await call('POST', '/v1/jobs', '[]');
    expect(notObject.status).toBe(400);
    isError(notObject.body);
    // Nothing was queued by any of them.
    expect((await call('GET', '/v1/health')).body).toMatchObject({ running: 0, queued: 0 });
  });

  it('a good job → 202, then GET /v1/jobs/{id} → 200, an unknown one → 404', async () => {
    const created = await call('POST', '/v1/jobs', JSON.stringify(job('n47ok_imagen4')));
    expect(created.status).toBe(202);
    conforms('/v1/jobs', 'post', 202, created.body);
    const read = await call('GET', '/v1/jobs/n47ok_imagen4');
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const missing = await call('GET', '/v1/jobs/n47missing_imagen4');
    expect(missing.status).toBe(404);
    conforms('/v1/jobs/{job_id}', 'get', 404, missing.body);
  });

  it('an unknown route → 404, a wrong method → 405, both {error: {type, detail}}', async () => {
    const unknown = await call('GET', '/v2/nothing');
    expect(unknown.status).toBe(404);
    isError(unknown.body);
    expect(unknown.body.error!.type).toBe('not_found');
    const method = await call('DELETE', '/v1/jobs');
    expect(method.status).toBe(405);
    isError(method.body);
  });
});
