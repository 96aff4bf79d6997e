import { afterEach, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { ledgerTotals } from '../../src/ledger/ledger.js';
import type { LedgerEntry } from '../../src/store/store.js';
import { drain, SEED_IMAGEN, startTestSim, type Envelope, type ErrorBody, type TestSim } from '../helpers/sim.js';

const KEY = 'aio_exactly_100';
const PRICE = 8;
const BUDGET = 100 * PRICE;

let sim: TestSim;
afterEach(() => sim?.close());

interface Ledger {
  entries: LedgerEntry[];
  totals: { balance: number; held: number };
}

async function keyRecord(): Promise<{ credits: number; held: number; available: number }> {
  return (await sim.admin_<{ credits: number; held: number; available: number }>('GET', `/keys/${KEY}`)).body;
}

async function ledger(): Promise<Ledger> {
  const r = await sim.admin_<Ledger>('GET', `/ledger?key=${KEY}`);
  expect(r.status).toBe(200);
  return r.body;
}

describe('concurrent submits against one balance', () => {
  it('500 concurrent imagen4 submits on credits for exactly 100: 100 accepted, 400 refused with 402, no overspend', async () => {
    sim = await startTestSim({
      config: { keys: [{ key: KEY, credits: BUDGET }], models: { 'imagen-4': { failure_rate: 0 } } },
    });

    const replies = await Promise.all(
      Array.from({ length: 500 }, () =>
        sim.call<Envelope<TaskView | null>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN, key: KEY }),
      ),
    );
    const counts = new Map<number, number>();
    for (const r of replies) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ 200: 100, 402: 400 });
    for (const r of replies.filter((x) => x.status === 402))
      expect(r.body).toMatchObject({ error: { code: 402, type: 'insufficient_credits' } });
    const ids = new Set(replies.filter((r) => r.status === 200).map((r) => r.body.data!.task_id));
    expect(ids.size).toBe(100);
    expect(await sim.admin.tasks({ key: KEY })).toHaveLength(100);

    // The available balance never went below zero at any step of the ledger.
    const after = await ledger();
    for (const e of after.entries) {
      expect(e.balance).toBeGreaterThanOrEqual(0);
      expect(e.held).toBeLessThanOrEqual(e.balance);
    }
    expect(after.entries.filter((e) => e.kind === 'hold')).toHaveLength(100);
    const rec = await keyRecord();
    expect(rec).toMatchObject({ credits: BUDGET, held: BUDGET, available: 0 });
    expect(after.totals).toEqual({ balance: rec.credits, held: rec.held });
    expect(ledgerTotals(after.entries)).toEqual(after.totals);
    const credits = await sim.call<Envelope<{ balance: number; held: number; available: number }>>(
      'GET',
      '/api/v1/credits',
      { key: KEY },
    );
    expect(credits.body.data).toEqual({ balance: BUDGET, held: BUDGET, available: 0 });

    await drain(sim);
    const tasks = await sim.admin.tasks({ key: KEY });
    expect(tasks.every((t) => t.status === 'COMPLETED')).toBe(true);
    const charged = tasks.reduce((s, t) => s + t.charged, 0);
    const done = await keyRecord();
    expect(done.held).toBe(0);
    expect(done.credits + charged).toBe(BUDGET);
    expect(done.credits).toBe(0);
    const final = await ledger();
    expect(final.totals).toEqual({ balance: done.credits, held: done.held });
    expect(final.entries.filter((e) => e.kind === 'capture')).toHaveLength(100);
    for (const e of final.entries) expect(e.held).toBeLessThanOrEqual(e.balance);
  });

  it('mixed prices racing for one balance never overspend it', async () => {
    sim = await startTestSim({
      config: { keys: [{ key: KEY, credits: 101 }], models: { 'imagen-4': { failure_rate: 0 } } },
    });
    const bodies = Array.from({ length: 120 }, (_, i) => ({
      ...SEED_IMAGEN,
      model: ['imagen4-fast', 'imagen4', 'imagen4-ultra'][i % 3]!,
      num_images: 1 + (i % 4),
    }));
    const replies = await Promise.all(
      bodies.map((body) =>
        sim.call<Envelope<TaskView | null>>('POST', '/api/v1/images/generations', { body, key: KEY }),
      ),
    );
    expect(replies.every((r) => r.status === 200 || r.status === 402)).toBe(true);
    const held = replies.filter((r) => r.status === 200).reduce((s, r) => s + r.body.data!.credits_held, 0);
    const rec = await keyRecord();
    expect(rec.held).toBe(held);
    expect(held).toBeLessThanOrEqual(101);
    expect(rec.available).toBeGreaterThanOrEqual(0);
    // Every 402 was refused for want of credits at that moment: its price was above what was left.
    for (const r of replies.filter((x) => x.status === 402)) {
      const m = /costs (\d+), available (-?\d+)/.exec((r.body as unknown as ErrorBody).error.message);
      expect(m, (r.body as unknown as ErrorBody).error.message).not.toBeNull();
      expect(Number(m![2])).toBeGreaterThanOrEqual(0);
      expect(Number(m![2])).toBeLessThan(Number(m![1]));
    }
    expect((await ledger()).totals).toEqual({ balance: 101, held });
  });
});
