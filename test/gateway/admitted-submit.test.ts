import { afterEach, describe, expect, it } from 'vitest';
import { SEED_IMAGEN, startTestSim, type TestSim } from '../helpers/sim.js';

/** A submit admitted in its create's store step (a valid body) answers as admit-then-submit did. */
const SLOW = 'aio_slow';
const BROKE = 'aio_broke';

let sim: TestSim;
afterEach(() => sim?.close());

const start = (seed = 7) =>
  startTestSim({
    seed,
    config: {
      keys: [
        { key: SLOW, credits: 100, rate_limit: { requests: 1, window_s: 10 } },
        { key: BROKE, credits: 0, rate_limit: { requests: 1, window_s: 10 } },
      ],
    },
  });

const submit = (key: string | null, body: unknown = SEED_IMAGEN) =>
  sim.call<{ data: { task_id: string } }>('POST', '/api/v1/images/generations', { body, key });

describe('a submit admitted with its create', () => {
  it('401 before 429 before 400 before 402, with or without a valid body', async () => {
    sim = await start();
    expect((await submit('aio_nobody')).status).toBe(401);
    expect((await submit('aio_nobody', { model: 'imagen4' })).status).toBe(401);
    expect((await submit(null)).status).toBe(401);
    // No credits: the first request is 402 with its RateLimit headers, the next one 429.
    const broke = await submit(BROKE);
    expect(broke.status).toBe(402);
    expect(broke.headers.get('ratelimit')).toBe('limit=1, remaining=0, reset=10');
    expect((await submit(BROKE)).status).toBe(429);
    expect((await submit(BROKE, { model: 'imagen4' })).status).toBe(429);
    await sim.clock.advance(10_000);
    expect((await submit(BROKE, { model: 'imagen4' })).status).toBe(400);
  });

  it('a 401 or 429 leaves the task ids as if it had never come', async () => {
    sim = await start();
    const plain = [(await submit(SLOW)).body.data.task_id];
    await sim.clock.advance(10_000);
    plain.push((await submit(SLOW)).body.data.task_id);
    await sim.close();

    sim = await start();
    const refused: string[] = [(await submit(SLOW)).body.data.task_id];
    expect((await submit(SLOW)).status).toBe(429);
    expect((await submit('aio_nobody')).status).toBe(401);
    await sim.clock.advance(10_000);
    refused.push((await submit(SLOW)).body.data.task_id);
    expect(refused).toEqual(plain);
  });
});
