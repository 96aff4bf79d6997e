import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import type { ConfigFile } from '../../src/config/config-schema.js';
import { applyOverrides } from '../../src/config/load-config.js';
import { FaultSet } from '../../src/nodes/faults.js';
import { NodeFleet } from '../../src/nodes/node-fleet.js';
import { startSimulator, type Simulator } from '../../src/simulator.js';
import { startReceiver } from '../helpers/receiver.js';
import { describeRedis, RedisServer } from '../helpers/redis-server.js';
import { BIN } from '../helpers/cli.js';
import { startHttpNodes } from '../helpers/http-nodes.js';

const SCALE = 0.01; // imagen-4 takes 30–80 ms
const KEY = { authorization: 'Bearer aio_dev_key', 'content-type': 'application/json' };
const IMAGEN = JSON.stringify({ model: 'imagen4', prompt: 'A bowl of ramen, shared by two gateways' });

let redis: RedisServer;
let nodes: NodeFleet;
let nodeFaults: FaultSet;
let config: ConfigFile;
const sims: Simulator[] = [];
let db = 0;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const start = async (store: string, over: Partial<ConfigFile> = {}) => {
  const sim = await startSimulator({ port: 0, store, timeScale: SCALE, config: { ...config, ...over } });
  sims.push(sim);
  return sim;
};
const submit = async (sim: Simulator, key = KEY) => {
  const r = await fetch(`${sim.url}/api/v1/images/generations`, { method: 'POST', headers: key, body: IMAGEN });
  return { status: r.status, body: (await r.json()) as { data: { task_id: string } | null } };
};
/** The task's status, or the HTTP status when there is no task in the answer (so a failure says why). */
const status = async (sim: Simulator, id: string, key = KEY): Promise<string> => {
  const r = await fetch(`${sim.url}/api/v1/tasks/${id}`, { headers: key });
  return ((await r.json()) as { data?: { status: string } | null }).data?.status ?? `HTTP ${r.status}`;
};
/** Poll until every task is terminal (bounded). */
async function settled(sim: Simulator, ids: string[], key = KEY): Promise<string[]> {
  let statuses: string[] = [];
  for (let i = 0; i < 600; i++) {
    statuses = await Promise.all(ids.map((id) => status(sim, id, key)));
    if (statuses.every((s) => s === 'COMPLETED' || s === 'FAILED')) break;
    await pause(25);
  }
  return statuses;
}

describeRedis('several gwsim instances on one Redis', () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
    // The provider nodes run apart from the gateways, as in production, so any instance reaches any job.
    // They decide jobs' outcomes, so the no-failure override belongs to them.
    const models = { 'imagen-4': { failure_rate: 0 } };
    const catalog = applyOverrides(loadCatalog(), { models });
    const started = await startHttpNodes({ catalog, seed: 5, timeScale: SCALE, capacity: 64 });
    nodes = started.fleet;
    nodeFaults = started.faults;
    config = {
      models,
      nodes: started.config,
      steps: { poll_ms: 5, lease_ms: 500 },
      // Rate windows are shared through Redis too; the tests poll hard, so lift the dev key's limit.
      rate_limit: { requests: 1_000_000, window_s: 1 },
    };
  }, 30_000);
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
    await nodes?.close();
    await redis?.stop();
  });

  it('a task submitted on A polls to completion on B', async () => {
    const store = redis.url(++db);
    const [a, b] = [await start(store), await start(store)];
    const sub = await submit(a);
    expect(sub.status).toBe(200);
    expect(await settled(b, [sub.body.data!.task_id])).toEqual(['COMPLETED']);
    const credits = (await (await fetch(`${b.url}/api/v1/credits`, { headers: KEY })).json()) as {
      data: { balance: number; held: number };
    };
    expect(credits.data).toMatchObject({ balance: 10_000 - 8, held: 0 });
  });

  it('keys created without a name on A and B, alternating, are all new: generated names never collide', async () => {
    const store = redis.url(++db);
    const [a, b] = [await start(store), await start(store)];
    const made: Array<{ status: number; key?: string }> = [];
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${(i % 2 ? b : a).url}/_sim/keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ credits: 5 }),
      });
      made.push({ status: r.status, key: ((await r.json()) as { key?: string }).key });
    }
    expect(made.map((m) => m.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(new Set(made.map((m) => m.key)).size).toBe(6);
    // Each names a key both instances know, with the credits asked for.
    for (const { key } of made) {
      const r = await fetch(`${b.url}/_sim/keys/${key}`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { credits: number }).credits).toBe(5);
    }
  });

  /** Submit on `sim` until the answer is `want` (bounded, 5 s): how long other instances take to see a change. */
  async function until(sim: Simulator, want: number): Promise<number> {
    const t0 = Date.now();
    let got = 0;
    while (Date.now() - t0 < 5000) {
      got = (await submit(sim)).status;
      if (got === want) return Date.now() - t0;
      await pause(20);
    }
    throw new Error(`${sim.url} still answers ${got}, not ${want}, after 5 s`);
  }

  it('a fault posted on A applies on B, and one removed on B is gone on A', async () => {
    const store = redis.url(++db);
    const [a, b] = [await start(store), await start(store)];
    const posted = await fetch(`${a.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'model:imagen-4', kind: 'outage' }),
    });
    expect(posted.status).toBe(201);
    const { id } = (await posted.json()) as { id: string };
    expect(await until(b, 503)).toBeLessThan(2000);
    const listed = (await (await fetch(`${b.url}/_sim/faults`)).json()) as
      { faults?: Array<{ id: string }> } | Array<{ id: string }>;
    expect(JSON.stringify(listed)).toContain(id);
    expect((await fetch(`${b.url}/_sim/faults/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await until(a, 200)).toBeLessThan(2000);
  }, 30_000);

  it("A's open circuit is seen by B: B refuses with 503 without calling the node", async () => {
    const store = redis.url(++db);
    // A long cooldown (30 s × the time scale would be 300 ms) so the circuit stays open while B looks.
    const over = { routing: { circuit: { threshold: 2, cooldown_ms: 500_000 } } };
    const [a, b] = [await start(store, over), await start(store, over)];
    const fault = nodeFaults.add({ target: 'node47', kind: 'outage' });
    try {
      expect(await until(a, 503)).toBeLessThan(5000);
      // B has never called node47: its own breaker is closed. A few sync periods (100 ms) later it
      // has taken A's open circuit, and its first submit is refused (unshared, it would be a 200).
      await pause(400);
      const refused = await submit(b);
      expect(refused.status).toBe(503);
      expect(JSON.stringify(refused.body)).toContain('circuit is open');
    } finally {
      nodeFaults.remove(fault.id);
    }
  }, 30_000);

  it('two instances racing to finish the same tasks send one webhook per task', async () => {
    const store = redis.url(++db);
    const [a, b] = [await start(store), await start(store)];
    const receiver = await startReceiver();
    try {
      const body = JSON.stringify({ ...(JSON.parse(IMAGEN) as object), callback_url: receiver.url });
      const ids = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const r = await fetch(`${a.url}/api/v1/images/generations`, { method: 'POST', headers: KEY, body });
          return ((await r.json()) as { data: { task_id: string } }).data.task_id;
        }),
      );
      // Both instances read every task through to its node as fast as they can, each finishing
      // whatever it sees done: the race the terminal transition must settle.
      const finals = await Promise.all([settled(a, ids), settled(b, ids)]);
      expect(finals[0].every((s) => s === 'COMPLETED')).toBe(true);
      await receiver.waitFor(20, 10_000);
      await pause(300); // a second delivery, were there one, would be on its way by now
      const webhookIds = receiver.received.map((r) => String(r.headers['webhook-id']));
      expect(webhookIds).toHaveLength(20);
      expect(new Set(webhookIds).size).toBe(20);
      for (const id of ids) {
        const list = (await (await fetch(`${b.url}/_sim/webhooks?task_id=${id}`)).json()) as
          unknown[] | { deliveries: unknown[] };
        expect(Array.isArray(list) ? list : list.deliveries).toHaveLength(1);
      }
      const ledger = (await (await fetch(`${a.url}/_sim/ledger?key=aio_dev_key`)).json()) as {
        entries: Array<{ kind: string }>;
      };
      expect(ledger.entries.filter((e) => e.kind === 'capture')).toHaveLength(20);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('1,000 concurrent submits spread over both never overspend', async () => {
    const store = redis.url(++db);
    const [a, b] = [await start(store), await start(store)];
    await fetch(`${a.url}/_sim/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'aio_shared', credits: 800 }),
    });
    const key = { ...KEY, authorization: 'Bearer aio_shared' };
    const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => submit(i % 2 ? a : b, key)));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(100);
    expect(replies.filter((r) => r.status === 402)).toHaveLength(900);
    const ledger = (await (await fetch(`${b.url}/_sim/ledger?key=aio_shared`)).json()) as {
      entries: Array<{ balance: number; held: number }>;
    };
    expect(ledger.entries.every((e) => e.held <= e.balance && e.balance >= 0)).toBe(true);
    const ids = replies.flatMap((r) => (r.body.data ? [r.body.data.task_id] : []));
    expect(new Set(ids).size).toBe(100);
    const finals = await settled(a, ids, key);
    expect(
      finals.filter((s) => s !== 'COMPLETED'),
      JSON.stringify(finals.reduce<Record<string, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {})),
    ).toEqual([]);
    const keyView = (await (await fetch(`${a.url}/_sim/keys/aio_shared`)).json()) as { credits: number; held: number };
    expect(keyView).toMatchObject({ credits: 0, held: 0 });
  }, 60_000);

  it('killing A mid-flight loses no task: B finishes what A accepted', async () => {
    const store = redis.url(++db);
    const file = join(mkdtempSync(join(tmpdir(), 'gwsim-shared-')), 'config.json');
    // Slow the work down so A is killed while its tasks are queued, dispatched or polled.
    writeFileSync(file, JSON.stringify({ ...config, routing: { poll_ms: [200] } }));
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--store', store, '--time-scale', String(SCALE * 5), '--config', file],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        const m = /listening on (\S+)/.exec(d.toString());
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`A exited ${code}`)));
    });
    const a = { url } as Simulator;
    let ids: string[];
    try {
      ids = (await Promise.all(Array.from({ length: 20 }, () => submit(a)))).map((r) => r.body.data!.task_id);
    } finally {
      // Killed on a failed submit too, so a red run leaves no gwsim behind.
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    }
    const b = await start(store);
    expect(await settled(b, ids)).toEqual(ids.map(() => 'COMPLETED'));
  }, 60_000);

  it('a restarted instance picks up the transitions that fell due while none ran', async () => {
    const store = redis.url(++db);
    const a = await start(store);
    const ids = (await Promise.all(Array.from({ length: 10 }, () => submit(a)))).map((r) => r.body.data!.task_id);
    await a.close();
    await pause(200); // the steps A left in Redis fall due with nobody running them
    const again = await start(store);
    expect(await settled(again, ids)).toEqual(ids.map(() => 'COMPLETED'));
  }, 30_000);

  it('gwsim serve --workers 2 runs two processes on the Redis store, and stops them all on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--workers', '2', '--store', redis.url(++db), '--time-scale', String(SCALE)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /gwsim listening on (\S+)/.exec(d.toString());
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const served = { url } as Simulator;
    const ids = (await Promise.all(Array.from({ length: 10 }, () => submit(served)))).map((r) => r.body.data!.task_id);
    expect(new Set(ids).size).toBe(10);
    expect((await settled(served, ids)).every((x) => x === 'COMPLETED' || x === 'FAILED')).toBe(true);
    child.removeAllListeners('exit');
    const code = await new Promise<number | null>((r) => (child.once('exit', r), child.kill('SIGTERM')));
    expect(code).toBe(0);
    // One ready line for the whole group, whatever the workers print.
    expect(stdout.match(/listening on/g)).toHaveLength(1);
  }, 60_000);

  it('--workers on the memory store is refused with a clear message', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--workers', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(err).toContain('--workers needs a shared store');
  });

  it('an unreachable Redis at start is a clear error naming the URL', async () => {
    await expect(startSimulator({ port: 0, store: 'redis://127.0.0.1:1/0', config })).rejects.toThrow(/127\.0\.0\.1:1/);
  });

  it('while Redis is down requests answer 503 in the envelope, quickly; once it is back they are served again', async () => {
    const sim = await start(redis.url(++db));
    await redis.kill();
    const t0 = Date.now();
    const r = await fetch(`${sim.url}/api/v1/credits`, { headers: KEY });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ error: { code: 503, type: 'api_error' } });
    await redis.start();
    // The restarted Redis is empty (no persistence): the instance notices the new generation and
    // seeds its config keys again, so the dev key answers 200 within 10 s.
    const restarted = Date.now();
    let back = 503;
    while (back !== 200 && Date.now() - restarted < 10_000) {
      await pause(50);
      back = (await fetch(`${sim.url}/api/v1/credits`, { headers: KEY })).status;
    }
    expect(back).toBe(200);
    expect(Date.now() - restarted).toBeLessThan(10_000);
  }, 30_000);
});
