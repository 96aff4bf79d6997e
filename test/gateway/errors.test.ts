import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { createRng, type Rng } from '../../src/rng/rng.js';
import {
  DEV,
  SEED_COGVIEW,
  SEED_IMAGEN,
  settling,
  leftBy,
  snapshot,
  startTestSim,
  ERROR_TYPES,
  type ErrorBody,
  type Envelope,
  type Reply,
  type TestSim,
} from '../helpers/sim.js';

const GEN = '/api/v1/images/generations';
const MiB = 1024 * 1024;

let sim: TestSim;
beforeAll(async () => {
  // Imagen never fails here, so the one task created on purpose behaves the same every run.
  sim = await startTestSim({ config: { models: { 'imagen-4': { failure_rate: 0 } } } });
});
afterAll(() => sim?.close());

/** The status, the docs' error shape and nothing else, the request id, and (when given) the field the message must name. */
function expectError(reply: Reply, status: number, field?: string): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(reply.headers.get('x-request-id')).toMatch(/\S/);
  const body = reply.body as ErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'type']);
  expect(body.error.code).toBe(status);
  expect(body.error.type).toBe(ERROR_TYPES[status]);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  if (field !== undefined) expect(body.error.message).toContain(field);
}

/**
 * Run `fn` and assert it changed nothing: no task, no ledger entry, the same credits, claims and
 * rate windows (but the one count an authenticated request makes in its key's window).
 */
async function unchanged<T extends Reply>(fn: () => Promise<T>, key: string = DEV): Promise<T> {
  const before = await snapshot(sim, key);
  const out = await fn();
  expect(await snapshot(sim, key)).toEqual(leftBy(before, out, key));
  return out;
}

/** An error answer that changed nothing. */
async function refused(status: number, field: string | undefined, fn: () => Promise<Reply>): Promise<Reply> {
  const reply = await unchanged(fn);
  expectError(reply, status, field);
  return reply;
}

const post = (body: unknown, headers?: Record<string, string>) =>
  sim.call('POST', GEN, { body, ...(headers ? { headers } : {}) });

describe('body reading', () => {
  it('malformed JSON → 400', async () => {
    await refused(400, 'JSON', () =>
      sim.call('POST', GEN, { raw: '{"model": "imagen4", ', headers: { 'content-type': 'application/json' } }),
    );
  });

  it('empty body → 400', async () => {
    const r = await refused(400, undefined, () =>
      sim.call('POST', GEN, { raw: '', headers: { 'content-type': 'application/json' } }),
    );
    expect((r.body as ErrorBody).error.message).toMatch(/empty/);
  });

  it('a JSON array → 400 (the body must be an object)', async () => {
    const r = await refused(400, undefined, () => post([SEED_IMAGEN]));
    expect((r.body as ErrorBody).error.message).toMatch(/object/);
  });

  it('a JSON scalar → 400', async () => {
    await refused(400, undefined, () => post('imagen4'));
    await refused(400, undefined, () => post(null));
  });

  it('text/plain → 415', async () => {
    await refused(415, 'text/plain', () =>
      sim.call('POST', GEN, { raw: JSON.stringify(SEED_IMAGEN), headers: { 'content-type': 'text/plain' } }),
    );
  });

  it('a gzipped body (Content-Encoding: gzip) → 415 naming Content-Encoding, not parsed as JSON', async () => {
    const raw = gzipSync(JSON.stringify(SEED_IMAGEN));
    const r = await refused(415, 'Content-Encoding', () =>
      sim.call('POST', GEN, { raw, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }),
    );
    expect((r.body as ErrorBody).error.message).toContain("'gzip'");
    // identity is no coding at all: the body is read as sent.
    const plain = await sim.call('POST', GEN, {
      raw: Buffer.from(JSON.stringify(SEED_IMAGEN)),
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
    });
    expect(plain.status).toBe(200);
  });

  it('no Content-Type → 415', async () => {
    // A Buffer body makes fetch send no Content-Type at all.
    await refused(415, 'Content-Type', () => sim.call('POST', GEN, { raw: Buffer.from(JSON.stringify(SEED_IMAGEN)) }));
  });

  it('a body over 1 MiB with Content-Length → 413', async () => {
    const big = JSON.stringify({ ...SEED_IMAGEN, negative_prompt: 'x'.repeat(MiB + 10) });
    expect(Buffer.byteLength(big)).toBeGreaterThan(MiB);
    await refused(413, String(MiB), () =>
      sim.call('POST', GEN, { raw: Buffer.from(big), headers: { 'content-type': 'application/json' } }),
    );
  });

  it('a body over 1 MiB sent chunked (no Content-Length) → 413', async () => {
    const big = Buffer.from(JSON.stringify({ ...SEED_IMAGEN, negative_prompt: 'y'.repeat(MiB + 10) }));
    const reply = await unchanged(() => chunkedPost(big));
    expectError(reply, 413, String(MiB));
  });
});

/** POST `body` in 64 KiB chunks with Transfer-Encoding: chunked; the answer may come before the end. */
function chunkedPost(body: Buffer): Promise<Reply> {
  const url = new URL(GEN, sim.url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${DEV}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
          });
        });
        res.on('error', reject);
      },
    );
    // The server may close the connection once it has answered; a write error after that is expected.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
    req.end();
  });
}

describe('routing', () => {
  it('unknown route → 404', async () => {
    await refused(404, '/api/v1/nope', () => sim.call('GET', '/api/v1/nope'));
    await refused(404, undefined, () => sim.call('POST', '/api/v2/images/generations', { body: SEED_IMAGEN }));
  });

  it('DELETE /api/v1/credits → 405 with Allow', async () => {
    const r = await refused(405, 'DELETE', () => sim.call('DELETE', '/api/v1/credits'));
    expect(r.headers.get('allow')?.split(/,\s*/).sort()).toEqual(['GET', 'HEAD']);
  });

  it('a request target in absolute form (http://host/path) is served as its path: 200, not 405', async () => {
    const { port } = new URL(sim.url);
    const send = (method: string, target: string, body?: unknown) =>
      new Promise<{ status: number; body: Envelope }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method,
            path: target,
            headers: { authorization: `Bearer ${DEV}`, 'content-type': 'application/json' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Envelope,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      });
    const credits = await send('GET', `http://127.0.0.1:${port}/api/v1/credits?x=1`);
    expect(credits.status).toBe(200);
    expect(credits.body.data).toMatchObject({ balance: expect.any(Number) });
    const made = await send('POST', `http://127.0.0.1:${port}${GEN}`, SEED_IMAGEN);
    expect(made.status).toBe(200);
    const id = (made.body.data as TaskView).task_id;
    expect((await send('GET', `http://localhost/api/v1/tasks/${id}`)).status).toBe(200);
    // Still refused as before where the path is wrong.
    expect((await send('GET', `http://127.0.0.1:${port}/api/v1/nope`)).status).toBe(404);
  });

  it('PUT /api/v1/images/generations → 405 with Allow', async () => {
    const r = await refused(405, 'PUT', () => sim.call('PUT', GEN, { body: SEED_IMAGEN }));
    expect(r.headers.get('allow')).toBe('POST');
  });
});

describe('authentication', () => {
  it('missing Authorization → 401', async () => {
    await refused(401, 'Authorization', () => sim.call('POST', GEN, { body: SEED_IMAGEN, key: null }));
    await refused(401, 'Authorization', () => sim.call('GET', '/api/v1/credits', { key: null }));
  });

  it('unknown key → 401', async () => {
    await refused(401, undefined, () => sim.call('POST', GEN, { body: SEED_IMAGEN, key: 'aio_nobody' }));
  });

  it('malformed Authorization ("Basic x") → 401', async () => {
    await refused(401, undefined, () =>
      sim.call('POST', GEN, { body: SEED_IMAGEN, key: null, headers: { authorization: 'Basic x' } }),
    );
    await refused(401, undefined, () =>
      sim.call('POST', GEN, { body: SEED_IMAGEN, key: null, headers: { authorization: 'Bearer' } }),
    );
  });
});

describe('tasks', () => {
  it("another key's task → 404, the same as an unknown one", async () => {
    const created = await sim.admin_<{ key: string }>('POST', '/keys', { credits: 100 });
    expect(created.status).toBe(201);
    const other = created.body.key;
    const submit = await post(SEED_IMAGEN);
    expect(submit.status).toBe(200);
    const id = (submit.body as Envelope<TaskView>).data.task_id;
    expect((await sim.call('GET', `/api/v1/tasks/${id}`)).status).toBe(200);
    const r = await unchanged(() => sim.call('GET', `/api/v1/tasks/${id}`, { key: other }), other);
    expectError(r, 404, id);
  });

  it('unknown task id → 404 naming it', async () => {
    await refused(404, 'n47doesnotexist_imagen4', () => sim.call('GET', '/api/v1/tasks/n47doesnotexist_imagen4'));
  });

  it('a 200-character task id → 400 naming task_id', async () => {
    await refused(400, 'task_id', () => sim.call('GET', `/api/v1/tasks/${'a'.repeat(200)}`));
  });

  it('GET /api/v1/models/nope → 404', async () => {
    await refused(404, 'nope', () => sim.call('GET', '/api/v1/models/nope'));
  });

  it('a 200-character model id → 404 (an unknown model; the spec declares no 400 there)', async () => {
    await refused(404, 'Model not found', () => sim.call('GET', `/api/v1/models/${'m'.repeat(200)}`));
  });

  it('a path parameter that is not valid percent-encoding → 400', async () => {
    await refused(400, 'percent-encoding', () => sim.call('GET', '/api/v1/tasks/%E0%A4%A'));
  });
});

describe('generation requests', () => {
  it('unknown model → 400 naming model', async () => {
    await refused(400, "'model'", () => post({ model: 'dall-e-9', prompt: 'a cat in a hat' }));
  });

  it('missing model → 400 naming model', async () => {
    await refused(400, "'model'", () => post({ prompt: 'a cat in a hat' }));
  });

  it('model not a string → 400 naming model', async () => {
    await refused(400, "'model'", () => post({ model: 4, prompt: 'a cat in a hat' }));
    await refused(400, "'model'", () => post({ model: ['imagen4'], prompt: 'a cat in a hat' }));
  });

  it('missing prompt → 400 naming prompt', async () => {
    await refused(400, "'prompt'", () => post({ model: 'imagen4' }));
  });

  it.each([
    ['size on imagen-4', { ...SEED_IMAGEN, size: '1024*1024' }, 'size'],
    ['aspect_ratio on cogview-4', { ...SEED_COGVIEW, aspect_ratio: '1:1' }, 'aspect_ratio'],
    [
      'callback_url on cogview-4 (no webhooks)',
      { ...SEED_COGVIEW, callback_url: 'https://example.com/hook' },
      'callback_url',
    ],
    ['quality on imagen-4', { ...SEED_IMAGEN, quality: 'hd' }, 'quality'],
    ['num_images on flux-2', { model: 'flux-2', prompt: 'a red fox', num_images: 2 }, 'num_images'],
  ])('unsupported parameter: %s → 400 naming it', async (_name, body, field) => {
    await refused(400, `'${field}'`, () => post(body));
  });

  it.each([
    ['cogview-4 size 1000*1000', { ...SEED_COGVIEW, size: '1000*1000' }, 'size'],
    ['cogview-4 quality ultra', { ...SEED_COGVIEW, quality: 'ultra' }, 'quality'],
    ['imagen aspect_ratio 2:1', { ...SEED_IMAGEN, aspect_ratio: '2:1' }, 'aspect_ratio'],
    ['num_images 0', { ...SEED_IMAGEN, num_images: 0 }, 'num_images'],
    ['num_images 5', { ...SEED_IMAGEN, num_images: 5 }, 'num_images'],
    ['num_images 1.5', { ...SEED_IMAGEN, num_images: 1.5 }, 'num_images'],
    ['num_images "2"', { ...SEED_IMAGEN, num_images: '2' }, 'num_images'],
    ['prompt of 2 characters', { ...SEED_IMAGEN, prompt: 'ab' }, 'prompt'],
    ['cogview-4 prompt of 1001 characters', { ...SEED_COGVIEW, prompt: 'p'.repeat(1001) }, 'prompt'],
    ['prompt of 5001 characters', { ...SEED_IMAGEN, prompt: 'p'.repeat(5001) }, 'prompt'],
    ['prompt not a string', { ...SEED_IMAGEN, prompt: 42 }, 'prompt'],
    ['seed below 0', { ...SEED_IMAGEN, seed: -1 }, 'seed'],
    ['callback_url not a URI', { ...SEED_IMAGEN, callback_url: 'not a url' }, 'callback_url'],
  ])('out of bounds: %s → 400 naming the field', async (_name, body, field) => {
    await refused(400, `'${field}'`, () => post(body));
  });

  it('the limits are exact: prompt of 3 and cogview prompt of 1000 are accepted', async () => {
    expect((await post({ ...SEED_IMAGEN, prompt: 'abc' })).status).toBe(200);
    const sync = await settling(sim, post({ ...SEED_COGVIEW, prompt: 'p'.repeat(1000) }));
    expect(sync.status).toBe(200);
  });

  it('an Idempotency-Key of 256 characters → 400 naming Idempotency-Key', async () => {
    await refused(400, 'Idempotency-Key', () => post(SEED_IMAGEN, { 'idempotency-key': 'k'.repeat(256) }));
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz: random bodies never crash the gateway and never change state unless accepted.

const MODEL_NAMES = [
  'imagen4',
  'imagen-4',
  'imagen4-fast',
  'imagen4-ultra',
  'flux-2',
  'seedream',
  'gpt-image',
  'qwen-image',
  'sd3.5-large',
  'recraft-v3',
  'cogview-4',
  'nope',
];
const FIELD_NAMES = [
  'model',
  'prompt',
  'size',
  'aspect_ratio',
  'num_images',
  'seed',
  'quality',
  'type',
  'resolution',
  'input_urls',
  'negative_prompt',
  'callback_url',
  'style',
  '__proto__',
  'constructor',
  '',
  'x',
];
const STRINGS = [
  '',
  'a',
  'a cat',
  '1:1',
  '16:9',
  '1024*1024',
  'hd',
  'pro',
  '2K',
  'https://example.com/i.png',
  'ünïcødé 🎨',
  '\u0000',
  'x'.repeat(3000),
  '<script>',
  '{}',
];

const int = (rng: Rng, n: number) => Math.floor(rng.next() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;

function randomValue(rng: Rng, depth: number): unknown {
  switch (int(rng, depth > 2 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return pick(rng, [0, 1, -1, 4, 5, 1.5, 2 ** 31, -(2 ** 53), 1e308, 4294967295]);
    case 3:
      return pick(rng, STRINGS);
    case 4:
      return Array.from({ length: int(rng, 5) }, () => String.fromCharCode(32 + int(rng, 95))).join('');
    case 5:
      return Array.from({ length: int(rng, 4) }, () => randomValue(rng, depth + 1));
    default:
      return randomObject(rng, depth + 1);
  }
}

function randomObject(rng: Rng, depth: number): Record<string, unknown> {
  const entries: Array<[string, unknown]> = [];
  const n = int(rng, 6);
  for (let i = 0; i < n; i++)
    entries.push([rng.next() < 0.7 ? pick(rng, FIELD_NAMES) : `k${int(rng, 1000)}`, randomValue(rng, depth)]);
  return Object.fromEntries(entries);
}

/** Mostly near-valid requests (a real model and prompt plus random parameters), some junk. */
function randomBody(rng: Rng): string {
  const r = rng.next();
  if (r < 0.1) return pick(rng, ['{', '[1,', '"unterminated', 'nul', '{"model": imagen4}', '1e', '{"a":1}}']);
  if (r < 0.3) return JSON.stringify(randomValue(rng, 0));
  const body: Record<string, unknown> = {
    model: pick(rng, MODEL_NAMES),
    prompt: rng.next() < 0.8 ? 'a lighthouse at dusk' : randomValue(rng, 2),
  };
  const extra = randomObject(rng, 1);
  for (const [k, v] of Object.entries(extra)) if (rng.next() < 0.5) body[k] = v;
  if (rng.next() < 0.3) body.num_images = pick(rng, [1, 2, 4, 5, 0]);
  return JSON.stringify(body);
}

describe('fuzz', () => {
  it('200 random bodies: never a 5xx, and no state change unless the answer is 200', async () => {
    const rng = createRng(0xf022);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const raw = randomBody(rng);
      const before = await snapshot(sim);
      const reply = await settling(
        sim,
        sim.call('POST', GEN, { raw, headers: { 'content-type': 'application/json' } }),
      );
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      expect(reply.status, `body ${raw.slice(0, 300)} → ${JSON.stringify(reply.body)}`).toBeLessThan(500);
      if (reply.status === 200) continue;
      expectError(reply, reply.status);
      expect(await snapshot(sim), `body ${raw.slice(0, 300)} changed state with ${reply.status}`).toEqual(
        leftBy(before, reply),
      );
    }
    // The generator reaches both the validator's refusals and accepted requests.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
  });
});

describe("every status of README's error table, in the docs' shape", () => {
  const big = () => JSON.stringify({ ...SEED_IMAGEN, prompt: 'p'.repeat(MiB) });
  const json = { 'content-type': 'application/json' };

  it('public API: 400, 401, 402, 404, 405, 413, 415, 422, 429, 503', async () => {
    const s = await startTestSim({
      config: {
        keys: [
          { key: 'aio_poor', credits: 1 },
          { key: 'aio_slow', credits: 100, rate_limit: { requests: 1, window_s: 60 } },
        ],
      },
    });
    try {
      expectError(await s.call('POST', GEN, { body: { model: 'imagen4' } }), 400, 'prompt');
      expectError(await s.call('GET', '/api/v1/credits', { key: 'aio_nope' }), 401);
      expectError(await s.call('POST', GEN, { body: SEED_IMAGEN, key: 'aio_poor' }), 402);
      expectError(await s.call('GET', '/api/v1/tasks/n47nope_imagen4'), 404, 'n47nope_imagen4');
      expectError(await s.call('PATCH', '/api/v1/credits'), 405, 'PATCH');
      expectError(await s.call('POST', GEN, { raw: big(), headers: json }), 413);
      expectError(await s.call('POST', GEN, { raw: 'x', headers: { 'content-type': 'text/plain' } }), 415);
      expect((await s.call('POST', GEN, { body: SEED_IMAGEN, headers: { 'idempotency-key': 'k1' } })).status).toBe(200);
      expectError(
        await s.call('POST', GEN, {
          body: { ...SEED_IMAGEN, prompt: 'another' },
          headers: { 'idempotency-key': 'k1' },
        }),
        422,
        'k1',
      );
      await s.call('GET', '/api/v1/credits', { key: 'aio_slow' });
      const limited = await s.call('GET', '/api/v1/credits', { key: 'aio_slow' });
      expectError(limited, 429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      await s.admin_('POST', '/faults', { target: 'model:imagen4', kind: 'outage' });
      const down = await s.call('POST', GEN, { body: SEED_IMAGEN });
      expectError(down, 503, 'imagen-4');
      expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await s.close();
    }
  });

  it('public API: 409 for a claim still bound to no task (as an older gwsim leaves one)', async () => {
    // A submit binds its claim in the same store step that creates its task, so only a claim
    // written apart (by an older gwsim, or a request that died between the two) is unbound.
    const { createSimulator } = await import('../../src/simulator.js');
    const { createServer } = await import('node:http');
    const core = await createSimulator({ clock: 'manual' });
    const server = createServer(core.app(undefined));
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      core.listening(`http://127.0.0.1:${port}`, '127.0.0.1', port);
      // The fingerprint a submit of SEED_IMAGEN computes: SHA-256 of its JSON with sorted keys.
      const sorted = Object.fromEntries(Object.entries(SEED_IMAGEN).sort(([x], [y]) => (x < y ? -1 : 1)));
      const { createHash } = await import('node:crypto');
      const fingerprint = createHash('sha256').update(JSON.stringify(sorted)).digest('base64url');
      await core.store.claimIdempotency(`${DEV}\nheld-open`, fingerprint, core.clock.now(), 60_000, 60_000);
      const res = await fetch(`http://127.0.0.1:${port}${GEN}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEV}`, 'content-type': 'application/json', 'idempotency-key': 'held-open' },
        body: JSON.stringify(SEED_IMAGEN),
      });
      const busy: Reply = { status: res.status, headers: res.headers, body: await res.json() };
      expectError(busy, 409, 'held-open');
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(await core.store.listTasks({})).toHaveLength(0);
    } finally {
      await new Promise((r) => server.close(r));
      await core.close();
    }
  });

  it('public API: 500 (a gwsim bug: here, a response that breaks the spec on purpose)', async () => {
    const s = await startTestSim({ renameResponseField: { from: 'balance', to: 'balanse' } });
    try {
      expectError(await s.call('GET', '/api/v1/credits'), 500, 'spec');
    } finally {
      await s.close();
    }
  });

  it('admin API: 400, 404, 413, 415, and 401 without its token', async () => {
    expectError(await sim.admin_('POST', '/keys', { credits: -1 }), 400, 'credits');
    expectError(await sim.admin_('GET', '/keys/aio_nobody'), 404, 'aio_nobody');
    expectError(await sim.admin_('GET', '/nope'), 404);
    expectError(await sim.call('POST', '/_sim/faults', { key: null, raw: big(), headers: json }), 413);
    expectError(
      await sim.call('POST', '/_sim/faults', { key: null, raw: 'x', headers: { 'content-type': 'text/plain' } }),
      415,
    );
    const guarded = await startTestSim({ adminToken: 'tok-123' });
    try {
      expectError(await guarded.admin_('GET', '/clock'), 401);
      expectError(await guarded.call('GET', '/_sim/clock', { key: 'wrong' }), 401);
    } finally {
      await guarded.close();
    }
  });
});
