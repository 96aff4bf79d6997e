import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import {
  ERROR_TYPES,
  SEED_COGVIEW,
  SEED_IMAGEN,
  leftBy,
  snapshot,
  startTestSim,
  type Envelope,
  type ErrorBody,
  type Reply,
  type TestSim,
} from '../helpers/sim.js';

const GEN = '/api/v1/images/generations';
// Loopback: input_urls may name only loopback and webhooks.allow_hosts (issue 13).
const urls = (n: number) => Array.from({ length: n }, (_, i) => `http://127.0.0.1:9/in/${i}.png`);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectShape(reply: Reply, status: number): ErrorBody['error'] {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  const body = reply.body as ErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual({ code: status, message: expect.any(String), type: ERROR_TYPES[status] });
  return body.error;
}

describe('faithful by default', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim();
  });
  afterAll(() => sim?.close());

  describe('paths match case-sensitively: a wrong-case path is no route (404), not a wrong method (405)', () => {
    it.each([
      ['GET', '/API/V1/CREDITS'],
      ['GET', '/api/v1/Credits'],
      ['POST', '/API/V1/IMAGES/GENERATIONS'],
      ['GET', '/api/v1/MODELS'],
      ['GET', '/api/v1/Tasks/n47abc_imagen4'],
      ['GET', '/_sim/CLOCK'],
      ['POST', '/_SIM/reset'],
      ['GET', '/FILES/n47abc_imagen4/0.png'],
    ])('%s %s → 404', async (method, path) => {
      const before = await snapshot(sim);
      const reply = await sim.call(method, path, method === 'POST' ? { body: SEED_IMAGEN } : {});
      expectShape(reply, 404);
      expect(reply.headers.get('allow')).toBeNull();
      expect(await snapshot(sim)).toEqual(leftBy(before, reply));
    });

    it('the right case still routes, and a wrong method on it is still 405', async () => {
      expect((await sim.call('GET', '/api/v1/credits')).status).toBe(200);
      expectShape(await sim.call('DELETE', '/api/v1/credits'), 405);
    });
  });

  describe('cross-field rules of the catalog: 400 naming the field, nothing changed', () => {
    it.each([
      [
        'seedream type edit without input_urls',
        { model: 'seedream', prompt: 'make the sky purple', type: 'edit' },
        /'input_urls' is required when type is edit/,
      ],
      [
        'flux-kontext (an editing model) without input_urls',
        { model: 'flux-kontext', prompt: 'make the cat wear a hat' },
        /'input_urls' is required/,
      ],
      ['9 input_urls on gpt-image', { model: 'gpt-image', prompt: 'combine these', input_urls: urls(9) }, /input_urls/],
      [
        '9 input_urls on seedream',
        { model: 'seedream', prompt: 'combine these', type: 'edit', input_urls: urls(9) },
        /input_urls/,
      ],
      ['9 input_urls on flux-2', { model: 'flux-2', prompt: 'combine these', input_urls: urls(9) }, /input_urls/],
    ])('%s → 400', async (_what, body, message) => {
      const before = await snapshot(sim);
      const reply = await sim.call('POST', GEN, { body });
      const error = expectShape(reply, 400);
      expect(error.message).toMatch(message);
      expect(await snapshot(sim)).toEqual(leftBy(before, reply));
    });

    it.each([
      [
        'seedream type edit with its image',
        { model: 'seedream', prompt: 'make the sky purple', type: 'edit', input_urls: urls(1) },
      ],
      ['seedream text-to-image without images (the default mode)', { model: 'seedream', prompt: 'a purple sky' }],
      [
        'flux-kontext with its image',
        { model: 'flux-kontext', prompt: 'make the cat wear a hat', input_urls: urls(1) },
      ],
      [
        '8 input_urls on gpt-image, the documented maximum',
        { model: 'gpt-image', prompt: 'combine these', input_urls: urls(8) },
      ],
    ])('%s → 200', async (_what, body) => {
      expect((await sim.call<Envelope<TaskView>>('POST', GEN, { body })).status).toBe(200);
    });
  });
});

describe('shutdown answers a waiting sync request', () => {
  it('cogview-4 holds the POST open; past the grace close() answers it 503 in the error shape, then stops (real HTTP, port 0)', async () => {
    // The manual clock: nothing moves the task, so the request is still waiting when the grace ends.
    const sim = await startTestSim({ shutdownGraceMs: 200 });
    const pending = sim.call('POST', GEN, { body: SEED_COGVIEW });
    for (let i = 0; i < 500 && (await sim.admin.tasks({ model: 'cogview-4' })).length === 0; i++) await pause(2);
    expect(await sim.admin.tasks({ model: 'cogview-4' })).toHaveLength(1);
    const t0 = performance.now();
    await sim.close();
    const reply = await pending;
    const error = expectShape(reply, 503);
    expect(error.message).toMatch(/stopped/);
    expect(reply.headers.get('retry-after')).toBe('1');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190); // the grace first
    expect(performance.now() - t0).toBeLessThan(5_000);
    await expect(fetch(`${sim.url}/api/v1/credits`)).rejects.toThrow();
  });
});
