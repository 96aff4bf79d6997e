import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV_WEBHOOK_SECRET } from '../../src/admin/admin-service.js';
import { MANUAL_EPOCH } from '../../src/clock/clock.js';
import type { TaskView } from '../../src/gateway/task.js';
import type { LedgerEntry } from '../../src/store/store.js';
import { startSimulator, type Simulator } from '../../src/simulator.js';
import {
  DEV,
  SEED_IMAGEN,
  startTestSim,
  ERROR_TYPES,
  type Envelope,
  type ErrorBody,
  type TestSim,
} from '../helpers/sim.js';

interface KeyView {
  key: string;
  credits: number;
  held: number;
  available: number;
  webhook_secret: string;
  rate_limit: { requests: number; window_s: number };
}
type AdminTask = TaskView & { key: string };
type Clock = { now_ms: number; mode: 'real' | 'manual' };

// imagen-4 and seedream never fail here, so a finished task is always COMPLETED.
const NO_FAILURES = { models: { 'imagen-4': { failure_rate: 0 }, seedream: { failure_rate: 0 } } };
const LONG = 10 * 60 * 1000;

let sim: TestSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function submit(s: TestSim, body: unknown = SEED_IMAGEN, key: string = DEV): Promise<TaskView> {
  const reply = await s.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body, key });
  expect(reply.status).toBe(200);
  return reply.body.data;
}

/** A 4xx answer in the docs' error shape whose message names `field`. */
function expectError(reply: { status: number; body: unknown }, status: number, field?: string): void {
  expect(reply.status).toBe(status);
  const body = reply.body as ErrorBody;
  expect(body).toEqual({ error: { code: status, message: expect.any(String), type: ERROR_TYPES[status] } });
  if (field !== undefined) expect(body.error.message).toContain(`'${field}'`);
}

describe('admin API: clock', () => {
  beforeEach(async () => {
    sim = await startTestSim({ config: NO_FAILURES });
  });

  it('GET /_sim/clock gives now_ms and the manual mode, starting at the fixed epoch', async () => {
    const reply = await sim!.admin_<Clock>('GET', '/clock');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ now_ms: MANUAL_EPOCH, mode: 'manual' });
  });

  it('POST /_sim/clock/advance moves now by ms and answers with the new time', async () => {
    const reply = await sim!.admin_<Clock>('POST', '/clock/advance', { ms: 1500 });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ now_ms: MANUAL_EPOCH + 1500, mode: 'manual' });
    expect((await sim!.admin_<Clock>('GET', '/clock')).body.now_ms).toBe(MANUAL_EPOCH + 1500);
    expect(sim!.clock.now()).toBe(MANUAL_EPOCH + 1500);
    await sim!.admin_('POST', '/clock/advance', { ms: 0 });
    expect(sim!.clock.now()).toBe(MANUAL_EPOCH + 1500);
  });

  it('fires every task transition due before it answers: an imagen4 task is finished right after', async () => {
    const task = await submit(sim!);
    expect(task.status).toBe('IN_PROGRESS');
    const advanced = await sim!.admin_<Clock>('POST', '/clock/advance', { ms: LONG });
    expect(advanced.status).toBe(200);
    const after = await sim!.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${task.task_id}`);
    expect(after.body.data).toMatchObject({ status: 'COMPLETED', credits_charged: 8, credits_held: 0 });
    const completedAt = Date.parse(after.body.data.completed_at!);
    expect(completedAt).toBeGreaterThan(MANUAL_EPOCH);
    expect(completedAt).toBeLessThanOrEqual(MANUAL_EPOCH + LONG);
    expect((await sim!.admin_<KeyView>('GET', `/keys/${DEV}`)).body).toMatchObject({ credits: 10_000 - 8, held: 0 });
  });

  it.each([
    ['-1', { ms: -1 }],
    ['a string', { ms: 'abc' }],
    ['a fraction', { ms: 1.5 }],
    ['missing', {}],
    ['null', { ms: null }],
    ['more than a year', { ms: 366 * 24 * 3600 * 1000 }],
  ])('rejects ms %s with 400 naming ms, and leaves the clock alone', async (_what, body) => {
    expectError(await sim!.admin_('POST', '/clock/advance', body), 400, 'ms');
    expect(sim!.clock.now()).toBe(MANUAL_EPOCH);
  });

  it('rejects a body that is not a JSON object or not JSON at all', async () => {
    expectError(await sim!.admin_('POST', '/clock/advance', [1500]), 400, '(body)');
    expectError(await sim!.admin_('POST', '/clock/advance', { ms: 1500, by: 'hand' }), 400, 'by');
    const raw = await sim!.call('POST', '/_sim/clock/advance', {
      key: null,
      raw: '{"ms": 15',
      headers: { 'content-type': 'application/json' },
    });
    expectError(raw, 400);
    expect(sim!.clock.now()).toBe(MANUAL_EPOCH);
  });
});

describe('admin API: a real-clock simulator', () => {
  it('reports mode real and refuses to advance with 400', async () => {
    sim = await startTestSim({ clock: 'real' });
    const clock = await sim.admin_<Clock>('GET', '/clock');
    expect(clock.body.mode).toBe('real');
    expect(Math.abs(clock.body.now_ms - Date.now())).toBeLessThan(5000);
    expectError(await sim.admin_('POST', '/clock/advance', { ms: 1000 }), 400, 'ms');
  });
});

describe('admin API: keys', () => {
  beforeEach(async () => {
    sim = await startTestSim({ config: NO_FAILURES });
  });

  it('POST /_sim/keys with credits only creates a generated aio_ key that works on the public API', async () => {
    const reply = await sim!.admin_<KeyView>('POST', '/keys', { credits: 50 });
    expect(reply.status).toBe(201);
    const key = reply.body;
    expect(key.key).toMatch(/^aio_[A-Za-z0-9_-]+$/);
    expect(key).toMatchObject({ credits: 50, held: 0, available: 50 });
    expect(key.webhook_secret).toMatch(/^whsec_/);
    expect(key.webhook_secret).not.toBe(DEV_WEBHOOK_SECRET);

    const credits = await sim!.call<Envelope<{ balance: number }>>('GET', '/api/v1/credits', { key: key.key });
    expect(credits.status).toBe(200);
    expect(credits.body.data).toEqual({ balance: 50, held: 0, available: 50 });
    const task = await submit(sim!, SEED_IMAGEN, key.key);
    expect(task.credits_held).toBe(8);
    expect((await sim!.admin_<KeyView>('GET', `/keys/${key.key}`)).body).toMatchObject({
      credits: 50,
      held: 8,
      available: 42,
    });

    // A second generated key is a different one.
    const other = await sim!.admin_<KeyView>('POST', '/keys', { credits: 1 });
    expect(other.status).toBe(201);
    expect(other.body.key).not.toBe(key.key);
  });

  it('POST /_sim/keys with a key creates that key', async () => {
    const reply = await sim!.admin_<KeyView>('POST', '/keys', { key: 'aio_x', credits: 5 });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ key: 'aio_x', credits: 5, held: 0, available: 5 });
    expect(reply.body.webhook_secret).toMatch(/^whsec_/);
    const credits = await sim!.call<Envelope<{ balance: number }>>('GET', '/api/v1/credits', { key: 'aio_x' });
    expect(credits.body.data.balance).toBe(5);
    // Too few credits for imagen4 (8): 402, nothing held.
    const poor = await sim!.call<ErrorBody>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN, key: 'aio_x' });
    expect(poor.status).toBe(402);
    expect((await sim!.admin_<KeyView>('GET', '/keys/aio_x')).body).toMatchObject({ credits: 5, held: 0 });
  });

  it('a duplicate key is 400 naming key, and the existing key keeps its credits', async () => {
    await sim!.admin_('POST', '/keys', { key: 'aio_x', credits: 5 });
    expectError(await sim!.admin_('POST', '/keys', { key: 'aio_x', credits: 500 }), 400, 'key');
    expectError(await sim!.admin_('POST', '/keys', { key: DEV, credits: 1 }), 400, 'key');
    expect((await sim!.admin_<KeyView>('GET', '/keys/aio_x')).body.credits).toBe(5);
    expect((await sim!.admin_<KeyView>('GET', `/keys/${DEV}`)).body.credits).toBe(10_000);
    expect((await sim!.admin_<{ entries: LedgerEntry[] }>('GET', '/ledger?key=aio_x')).body.entries).toHaveLength(1);
  });

  it('GET /_sim/keys/{key} gives key, credits, held, webhook_secret; the dev key has the fixed secret', async () => {
    const reply = await sim!.admin_<KeyView>('GET', `/keys/${DEV}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      key: DEV,
      credits: 10_000,
      held: 0,
      available: 10_000,
      webhook_secret: DEV_WEBHOOK_SECRET,
    });
    expect(reply.body.webhook_secret).toMatch(/^whsec_/);
    expect(reply.body.rate_limit).toEqual({ requests: expect.any(Number), window_s: expect.any(Number) });
  });

  it('an unknown key is 404 for GET and for a top-up', async () => {
    expectError(await sim!.admin_('GET', '/keys/aio_nobody'), 404);
    expectError(await sim!.admin_('POST', '/keys/aio_nobody/credits', { add: 5 }), 404);
    expectError(await sim!.admin_('GET', '/keys/aio_nobody'), 404);
  });

  it('POST /_sim/keys/{key}/credits {add} tops up, with a ledger entry', async () => {
    const reply = await sim!.admin_<KeyView>('POST', `/keys/${DEV}/credits`, { add: 25 });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ key: DEV, credits: 10_025, held: 0, available: 10_025 });
    const credits = await sim!.call<Envelope<{ balance: number }>>('GET', '/api/v1/credits');
    expect(credits.body.data.balance).toBe(10_025);
    const ledger = await sim!.admin_<{ entries: LedgerEntry[] }>('GET', `/ledger?key=${DEV}`);
    expect(ledger.body.entries.at(-1)).toMatchObject({ kind: 'topup', amount: 25, balance: 10_025 });
  });

  it.each([
    ['credits -5', { credits: -5 }, 'credits'],
    ['credits 1.5', { credits: 1.5 }, 'credits'],
    ['credits as a string', { credits: '5' }, 'credits'],
    ['credits missing', {}, 'credits'],
    ['credits missing, key given', { key: 'aio_y' }, 'credits'],
    ['key with a space', { key: 'bad key', credits: 5 }, 'key'],
    ['key without aio_', { key: 'sk_live', credits: 5 }, 'key'],
    ['key not a string', { key: 42, credits: 5 }, 'key'],
    ['an unknown field', { credits: 5, webhook: 'x' }, 'webhook'],
  ])('POST /_sim/keys with %s is 400 naming the field, and creates nothing', async (_what, body, field) => {
    const before = (await sim!.admin_<{ entries: LedgerEntry[] }>('GET', '/ledger')).body.entries.length;
    expectError(await sim!.admin_('POST', '/keys', body), 400, field);
    expect((await sim!.admin_<{ entries: LedgerEntry[] }>('GET', '/ledger')).body.entries).toHaveLength(before);
    expectError(await sim!.admin_('GET', '/keys/aio_y'), 404);
  });

  it.each([
    ['0', { add: 0 }],
    ['-1', { add: -1 }],
    ["'x'", { add: 'x' }],
    ['2.5', { add: 2.5 }],
    ['missing', {}],
  ])('a top-up with add %s is 400 naming add, and changes nothing', async (_what, body) => {
    expectError(await sim!.admin_('POST', `/keys/${DEV}/credits`, body), 400, 'add');
    expect((await sim!.admin_<KeyView>('GET', `/keys/${DEV}`)).body.credits).toBe(10_000);
  });
});

describe('admin API: tasks and ledger', () => {
  beforeEach(async () => {
    sim = await startTestSim({ config: NO_FAILURES });
  });

  async function taskIds(query: string): Promise<string[]> {
    const reply = await sim!.admin_<AdminTask[]>('GET', `/tasks${query}`);
    expect(reply.status).toBe(200);
    return reply.body.map((t) => t.task_id).sort();
  }

  it('GET /_sim/tasks lists every task with its key, filtered by status, model and key', async () => {
    const a = await submit(sim!);
    await sim!.clock.advance(LONG);
    await sim!.admin_('POST', '/keys', { key: 'aio_other', credits: 100 });
    const b = await submit(sim!, SEED_IMAGEN, 'aio_other');
    const c = await submit(sim!, { model: 'seedream', prompt: 'a lighthouse at dusk' });

    const all = await sim!.admin_<AdminTask[]>('GET', '/tasks');
    expect(all.status).toBe(200);
    expect(all.body).toHaveLength(3);
    const byId = new Map(all.body.map((t) => [t.task_id, t]));
    expect(byId.get(a.task_id)).toMatchObject({ key: DEV, model: 'imagen-4', status: 'COMPLETED' });
    expect(byId.get(b.task_id)).toMatchObject({ key: 'aio_other', model: 'imagen-4', status: 'IN_PROGRESS' });
    expect(byId.get(c.task_id)).toMatchObject({ key: DEV, model: 'seedream', status: 'IN_PROGRESS' });

    expect(await taskIds('?status=COMPLETED')).toEqual([a.task_id]);
    expect(await taskIds('?status=IN_PROGRESS')).toEqual([b.task_id, c.task_id].sort());
    expect(await taskIds('?status=IN_QUEUE')).toEqual([]);
    expect(await taskIds('?status=FAILED')).toEqual([]);
    expect(await taskIds('?model=imagen-4')).toEqual([a.task_id, b.task_id].sort());
    // A sub-model or alias names its model.
    expect(await taskIds('?model=imagen4')).toEqual([a.task_id, b.task_id].sort());
    expect(await taskIds('?model=seedream')).toEqual([c.task_id]);
    expect(await taskIds('?key=aio_other')).toEqual([b.task_id]);
    expect(await taskIds(`?key=${DEV}`)).toEqual([a.task_id, c.task_id].sort());
    expect(await taskIds(`?key=${DEV}&model=imagen-4&status=COMPLETED`)).toEqual([a.task_id]);
    expect(await taskIds('?key=aio_nobody')).toEqual([]);
  });

  it.each([
    ['?status=DONE', 'status'],
    ['?status=completed', 'status'],
    ['?model=nope', 'model'],
    ['?key=a&key=b', 'key'],
  ])('GET /_sim/tasks%s is 400 naming the field', async (query, field) => {
    expectError(await sim!.admin_('GET', `/tasks${query}`), 400, field);
  });

  it('GET /_sim/ledger?key= gives the key entries and totals that match the key record', async () => {
    await sim!.admin_('POST', '/keys', { key: 'aio_other', credits: 100 });
    await submit(sim!);
    await submit(sim!, SEED_IMAGEN, 'aio_other');
    await sim!.admin_('POST', `/keys/${DEV}/credits`, { add: 10 });
    await sim!.clock.advance(LONG);
    await submit(sim!);

    const dev = await sim!.admin_<{ entries: LedgerEntry[]; totals: { balance: number; held: number } }>(
      'GET',
      `/ledger?key=${DEV}`,
    );
    expect(dev.status).toBe(200);
    expect(dev.body.entries.every((e) => e.key === DEV)).toBe(true);
    expect(dev.body.entries.map((e) => e.kind)).toEqual(['grant', 'hold', 'topup', 'capture', 'hold']);
    const rec = (await sim!.admin_<KeyView>('GET', `/keys/${DEV}`)).body;
    expect(dev.body.totals).toEqual({ balance: rec.credits, held: rec.held });
    expect(dev.body.totals).toEqual({ balance: 10_000 + 10 - 8, held: 8 });

    const all = await sim!.admin_<{ entries: LedgerEntry[]; totals: unknown }>('GET', '/ledger');
    expect(all.body.entries.some((e) => e.key === 'aio_other')).toBe(true);
    expect(all.body.entries.length).toBeGreaterThan(dev.body.entries.length);
    const other = await sim!.admin_<{ entries: LedgerEntry[]; totals: { balance: number; held: number } }>(
      'GET',
      '/ledger?key=aio_other',
    );
    expect(other.body.totals).toEqual({ balance: 92, held: 0 });
    expectError(await sim!.admin_('GET', '/ledger?key=a&key=b'), 400, 'key');
    // An unknown key is 404 naming it, as its top-up is.
    for (const reply of [
      await sim!.admin_('GET', '/ledger?key=aio_nobody'),
      await sim!.admin_('POST', '/keys/aio_nobody/credits', { add: 5 }),
    ]) {
      expectError(reply, 404);
      expect((reply.body as ErrorBody).error.message).toBe('Key not found: aio_nobody');
    }
  });
});

describe('admin API: reset', () => {
  it('POST /_sim/reset restores keys, credits, tasks and the clock', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    const first = await submit(sim);
    await sim.admin_('POST', '/keys', { key: 'aio_temp', credits: 30 });
    await sim.admin_('POST', `/keys/${DEV}/credits`, { add: 100 });
    await sim.admin_('POST', '/clock/advance', { ms: 60_000 });
    const pending = await submit(sim);
    expect((await sim.admin_<AdminTask[]>('GET', '/tasks')).body).toHaveLength(2);

    const reply = await sim.admin_('POST', '/reset');
    expect(reply.status).toBe(200);

    expect((await sim.admin_<Clock>('GET', '/clock')).body).toEqual({ now_ms: MANUAL_EPOCH, mode: 'manual' });
    expect((await sim.admin_<AdminTask[]>('GET', '/tasks')).body).toEqual([]);
    expect((await sim.admin_<KeyView>('GET', `/keys/${DEV}`)).body).toMatchObject({
      credits: 10_000,
      held: 0,
      webhook_secret: DEV_WEBHOOK_SECRET,
    });
    expectError(await sim.admin_('GET', '/keys/aio_temp'), 404);
    const ledger = await sim.admin_<{ entries: LedgerEntry[] }>('GET', '/ledger');
    expect(ledger.body.entries.map((e) => [e.key, e.kind, e.amount])).toEqual([[DEV, 'grant', 10_000]]);
    const gone = await sim.call('GET', `/api/v1/tasks/${pending.task_id}`);
    expect(gone.status).toBe(404);

    // The pending task's timers went with it: advancing changes nothing.
    await sim.admin_('POST', '/clock/advance', { ms: LONG });
    expect((await sim.admin_<AdminTask[]>('GET', '/tasks')).body).toEqual([]);
    expect((await sim.admin_<KeyView>('GET', `/keys/${DEV}`)).body).toMatchObject({ credits: 10_000, held: 0 });

    // Back at the start, the same request gets the same task as the first time round.
    await sim.admin_('POST', '/reset');
    const again = await submit(sim);
    expect(again.task_id).toBe(first.task_id);
    expect(again.created_at).toBe(first.created_at);
  });
});

describe('admin API: loopback and token', () => {
  let saved: string | undefined;
  let bare: Simulator | undefined;
  beforeEach(() => {
    saved = process.env.GWSIM_ADMIN_TOKEN;
    delete process.env.GWSIM_ADMIN_TOKEN;
  });
  afterEach(async () => {
    await bare?.close();
    bare = undefined;
    if (saved === undefined) delete process.env.GWSIM_ADMIN_TOKEN;
    else process.env.GWSIM_ADMIN_TOKEN = saved;
  });

  it('refuses to start on a non-loopback host without a token', async () => {
    await expect(startSimulator({ host: '0.0.0.0', port: 0, clock: 'manual' })).rejects.toThrow(/GWSIM_ADMIN_TOKEN/);
  });

  it('with a token on 0.0.0.0 it starts, and the admin API wants Authorization: Bearer <token>', async () => {
    bare = await startSimulator({ host: '0.0.0.0', port: 0, adminToken: 'tok', clock: 'manual' });
    const port = new URL(bare.url).port;
    const base = `http://127.0.0.1:${port}`;
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(base + path, { headers });
      return { status: res.status, body: await res.json() };
    };
    expectError(await get('/_sim/clock'), 401);
    expectError(await get('/_sim/clock', { authorization: 'Bearer wrong' }), 401);
    expectError(await get('/_sim/clock', { authorization: 'Bearer tokk' }), 401);
    expectError(await get('/_sim/clock', { authorization: 'tok' }), 401);
    expectError(await get(`/_sim/keys/${DEV}`), 401);
    const ok = await get('/_sim/clock', { authorization: 'Bearer tok' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ now_ms: MANUAL_EPOCH, mode: 'manual' });

    // A refused admin request changes nothing.
    const denied = await fetch(`${base}/_sim/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'aio_sneaky', credits: 1 }),
    });
    expect(denied.status).toBe(401);
    expect((await get('/_sim/keys/aio_sneaky', { authorization: 'Bearer tok' })).status).toBe(404);

    // The public API keeps its own auth.
    const models = await get('/api/v1/models', { authorization: `Bearer ${DEV}` });
    expect(models.status).toBe(200);
  });
});
