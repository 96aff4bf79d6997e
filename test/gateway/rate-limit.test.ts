import { afterEach, describe, expect, it } from 'vitest';
import { DEV, SEED_IMAGEN, snapshot, startTestSim, type Reply, type TestSim } from '../helpers/sim.js';

const SLOW = 'aio_slow';

let sim: TestSim;
afterEach(() => sim?.close());

const start = () =>
  startTestSim({ config: { keys: [{ key: SLOW, credits: 100, rate_limit: { requests: 3, window_s: 10 } }] } });

/** `limit=3, remaining=2, reset=10` → its numbers. */
function rateLimit(reply: Reply): { limit: number; remaining: number; reset: number } {
  const header = reply.headers.get('ratelimit');
  expect(header).toMatch(/^limit=\d+, remaining=\d+, reset=\d+$/);
  const fields = Object.fromEntries(header!.split(/,\s*/).map((p) => p.split('=') as [string, string]));
  return { limit: Number(fields.limit), remaining: Number(fields.remaining), reset: Number(fields.reset) };
}

describe('rate limiting', () => {
  it('3 requests per 10 s: headers count down, the 4th is 429 with Retry-After, the next window opens', async () => {
    sim = await start();
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await sim.call('GET', '/api/v1/credits', { key: SLOW });
      expect(r.status).toBe(200);
      expect(r.headers.get('ratelimit-policy')).toBe('3;w=10');
      const rl = rateLimit(r);
      expect(rl.limit).toBe(3);
      // The manual clock stands still: the window opened at the first request ends exactly 10 s on.
      expect(rl.reset).toBe(10);
      remaining.push(rl.remaining);
    }
    expect(remaining).toEqual([2, 1, 0]);

    const limited = await sim.call('GET', '/api/v1/credits', { key: SLOW });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      error: { code: 429, message: expect.stringContaining('Rate limit'), type: 'rate_limit_error' },
    });
    expect(limited.headers.get('x-request-id')).toBeTruthy();
    const retryAfter = limited.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(10);
    expect(limited.headers.get('ratelimit-policy')).toBe('3;w=10');
    expect(rateLimit(limited)).toMatchObject({ limit: 3, remaining: 0 });

    // Part of the window passes: still limited, and Retry-After shrinks with it.
    await sim.clock.advance(4_000);
    const later = await sim.call('GET', '/api/v1/credits', { key: SLOW });
    expect(later.status).toBe(429);
    expect(Number(later.headers.get('retry-after'))).toBeLessThan(Number(retryAfter));

    await sim.clock.advance(6_000);
    const again = await sim.call('GET', '/api/v1/credits', { key: SLOW });
    expect(again.status).toBe(200);
    expect(rateLimit(again)).toMatchObject({ limit: 3, remaining: 2 });
  });

  it('a rate-limited submit creates no task and holds nothing; other keys are not affected', async () => {
    sim = await start();
    for (let i = 0; i < 3; i++) expect((await sim.call('GET', '/api/v1/credits', { key: SLOW })).status).toBe(200);
    const tasks = (await sim.admin.tasks({})).length;
    const ledger = (await sim.admin.ledger(SLOW)).entries.length;
    const r = await sim.call('POST', '/api/v1/images/generations', { body: SEED_IMAGEN, key: SLOW });
    expect(r.status).toBe(429);
    expect((await sim.admin.tasks({})).length).toBe(tasks);
    expect((await sim.admin.ledger(SLOW)).entries.length).toBe(ledger);
    expect(await sim.admin.getKey(SLOW)).toMatchObject({ credits: 100, held: 0 });
    // The dev key has its own window.
    expect((await snapshot(sim, DEV)).credits.balance).toBe(10_000);
  });

  it('the dev key has the generous default of 6000 per 60 s', async () => {
    sim = await start();
    const first = await sim.call('GET', '/api/v1/credits', { key: DEV });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('6000;w=60');
    expect(rateLimit(first)).toEqual({ limit: 6000, remaining: 5999, reset: 60 });
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => sim.call('GET', '/api/v1/models', { key: DEV })),
    );
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(rateLimit(await sim.call('GET', '/api/v1/credits', { key: DEV }))).toMatchObject({ remaining: 6000 - 52 });
  });
});
