import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator.js';
import { startReceiver } from '../helpers/receiver.js';
import { DEV, SEED_IMAGEN, leftBy, snapshot, type ErrorBody, type TestSim } from '../helpers/sim.js';
import { LOOPBACK_SPELLINGS } from '../helpers/hosts.js';
import { deliveries, finish, simPool, submitWithCallback } from './util.js';

const sims = simPool();
afterAll(() => sims.close());

/** A submit with node:http, which (unlike fetch) sends the Host header it is given. */
function submitAs(
  sim: TestSim,
  body: unknown,
  host?: string,
): Promise<{ status: number; headers: Headers; body: ErrorBody }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${sim.url}/api/v1/images/generations`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${DEV}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...(host ? { host } : {}),
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ErrorBody,
        }),
      );
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** POST a submit whose callback_url is `url`: 400 naming callback_url as aimed at gwsim, and nothing changed. */
async function expectSelfRefused(sim: TestSim, url: string, host?: string): Promise<void> {
  const before = await snapshot(sim);
  const reply = await submitAs(sim, { ...SEED_IMAGEN, callback_url: url }, host);
  expect(reply.status, `${url} → ${JSON.stringify(reply.body)}`).toBe(400);
  expect(reply.body.error).toMatchObject({ code: 400, type: 'invalid_request_error' });
  expect(reply.body.error.message).toContain("'callback_url' points at this simulator");
  expect(await snapshot(sim)).toEqual(leftBy(before, reply));
  expect(await deliveries(sim)).toEqual([]);
}

describe('a callback_url aimed at the simulator itself', () => {
  it('is refused at submit in every spelling of its own address and port (the real port of a server on port 0)', async () => {
    const sim = await sims.get();
    const port = new URL(sim.url).port;
    expect(Number(port)).toBeGreaterThan(0);
    for (const host of LOOPBACK_SPELLINGS) {
      for (const path of ['/_sim/reset', '/api/v1/images/generations', '/'])
        await expectSelfRefused(sim, `http://${host}:${port}${path}`);
    }
    await expectSelfRefused(sim, `https://127.0.0.1:${port}/_sim/reset`);
    await expectSelfRefused(sim, `http://0.0.0.0:${port}/_sim/reset`);
  });

  it('is refused by the name the client reached it by, even when that name is allowed', async () => {
    const sim = await sims.get({ allow_hosts: ['gwsim.test'] });
    const port = new URL(sim.url).port;
    await expectSelfRefused(sim, `http://gwsim.test:${port}/_sim/reset`, `gwsim.test:${port}`);
    await expectSelfRefused(sim, `http://GWSIM.test.:${port}/_sim/reset`, `gwsim.test:${port}`);
  });

  it('is refused at a provider node the simulator calls (config nodes.<id>.url), in any spelling', async () => {
    const node = await startReceiver();
    try {
      const base = new URL(node.url);
      const sim = await sims.get({}, { nodes: { node47: { url: base.origin } } });
      await expectSelfRefused(sim, `http://localhost:${base.port}/_sim/reset`);
      await expectSelfRefused(sim, `http://0x7f000001:${base.port}/_sim/faults`);
      expect(node.received).toEqual([]);
    } finally {
      await node.close();
    }
  });

  it('a receiver on another loopback port is still fine', async () => {
    const sim = await sims.get();
    const rx = await startReceiver();
    try {
      const task = await submitWithCallback(sim, rx.url);
      await finish(sim, task.task_id);
      await rx.waitFor(1);
    } finally {
      await rx.close();
    }
  });
});

describe('bound to every address (0.0.0.0)', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it("refuses this machine's own interface addresses at its port, even when allowed", async () => {
    const ips = Object.values(networkInterfaces())
      .flatMap((l) => l ?? [])
      .filter((a) => a.family === 'IPv4' && !a.internal)
      .map((a) => a.address);
    sim = await startSimulator({
      host: '0.0.0.0',
      port: 0,
      clock: 'manual',
      adminToken: 'tok',
      config: { webhooks: { allow_hosts: ips } },
    });
    const port = new URL(sim.url).port;
    const targets = [...ips, '127.0.0.1', '0.0.0.0', 'localhost'].map((h) => `http://${h}:${port}/_sim/reset`);
    for (const url of targets) {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEV}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...SEED_IMAGEN, callback_url: url }),
      });
      const body = (await res.json()) as ErrorBody;
      expect(res.status, `${url} → ${JSON.stringify(body)}`).toBe(400);
      expect(body.error.message).toContain("'callback_url' points at this simulator");
    }
    expect(await sim.admin.tasks({})).toEqual([]);
  });
});
