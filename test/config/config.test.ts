import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Catalog } from '../../src/catalog/load-catalog.js';
import type { TaskView } from '../../src/gateway/task.js';
import { applyOverrides, ConfigError, loadConfig, parseConfig } from '../../src/config/load-config.js';
import { DEV, SEED_IMAGEN, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';

/** The ConfigError `fn` throws; fails the test when it throws nothing or something else. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, got none');
}

/** A ConfigError whose problems include one starting with `field` and mentioning every `words`. */
function expectProblem(err: ConfigError, field: string, ...words: string[]): void {
  const hit = err.problems.find((p) => p.startsWith(`${field}:`));
  expect(hit, `no problem names ${field}: ${JSON.stringify(err.problems)}`).toBeDefined();
  for (const w of words) expect(hit).toContain(w);
  expect(err.message).toContain(field);
}

const VALID = {
  seed: 3,
  time_scale: 0.5,
  clock: 'manual',
  rate_limit: { requests: 100, window_s: 60 },
  keys: [
    { key: 'aio_alice', credits: 500 },
    {
      key: 'aio_bob',
      credits: 0,
      rate_limit: { requests: 2, window_s: 1 },
      webhook_secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=',
    },
  ],
  models: {
    'imagen-4': { failure_rate: 0, latency_ms: { p5: 1000, p95: 2000 }, credits: { imagen4: 9, 'imagen4-ultra': 20 } },
    'cogview-4': { failure_rate: 1 },
  },
};

let catalog: Catalog;
let dir: string;
beforeAll(() => {
  catalog = loadCatalog();
  dir = mkdtempSync(join(tmpdir(), 'gwsim-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseConfig', () => {
  it('accepts a valid config and gives it back', () => {
    expect(parseConfig(VALID)).toEqual(VALID);
  });

  it("accepts the README's example config, field for field", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```yaml\n(# gwsim\.config\.yaml[^]*?)```/.exec(readme)?.[1];
    expect(block, 'the README has its config example').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'gwsim-readme-'));
    try {
      writeFileSync(join(dir, 'gwsim.config.yaml'), block!);
      expect(loadConfig(join(dir, 'gwsim.config.yaml')).webhooks?.answer_grace_ms).toBe(2000);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('accepts an empty config, undefined and null (YAML of an empty file)', () => {
    expect(parseConfig({})).toEqual({});
    expect(parseConfig(undefined)).toEqual({});
    expect(parseConfig(null)).toEqual({});
  });

  it('names the source in the error', () => {
    const err = configError(() => parseConfig({ bogus: 1 }, 'my.yaml'));
    expect(err.file).toBe('my.yaml');
    expect(err.message).toContain('my.yaml');
  });

  it.each([
    ['an unknown top-level key', { bogus: 1 }, '(root)', ['bogus']],
    ['a key that is not aio_…', { keys: [{ key: 'nope', credits: 1 }] }, 'keys[0].key', ['aio_']],
    ['negative credits', { keys: [{ key: 'aio_a', credits: -1 }] }, 'keys[0].credits', []],
    ['fractional credits', { keys: [{ key: 'aio_a', credits: 1.5 }] }, 'keys[0].credits', []],
    ['a key without credits', { keys: [{ key: 'aio_a' }] }, 'keys[0].credits', []],
    ['an unknown field of a key', { keys: [{ key: 'aio_a', credits: 1, colour: 'red' }] }, 'keys[0]', ['colour']],
    [
      'a bad webhook secret',
      { keys: [{ key: 'aio_a', credits: 1, webhook_secret: 'secret' }] },
      'keys[0].webhook_secret',
      ['whsec_'],
    ],
    [
      'duplicate keys',
      {
        keys: [
          { key: 'aio_a', credits: 1 },
          { key: 'aio_b', credits: 1 },
          { key: 'aio_a', credits: 2 },
        ],
      },
      'keys[2].key',
      ['duplicate', 'aio_a'],
    ],
    ['rate_limit.requests 0', { rate_limit: { requests: 0, window_s: 60 } }, 'rate_limit.requests', []],
    ['rate_limit.window_s negative', { rate_limit: { requests: 1, window_s: -1 } }, 'rate_limit.window_s', []],
    [
      'a key rate limit of 0',
      { keys: [{ key: 'aio_a', credits: 1, rate_limit: { requests: 0, window_s: 1 } }] },
      'keys[0].rate_limit.requests',
      [],
    ],
    ['failure_rate 2', { models: { 'imagen-4': { failure_rate: 2 } } }, 'models.imagen-4.failure_rate', []],
    ['failure_rate -0.1', { models: { 'imagen-4': { failure_rate: -0.1 } } }, 'models.imagen-4.failure_rate', []],
    ['an unknown field of a model override', { models: { 'imagen-4': { speed: 2 } } }, 'models.imagen-4', ['speed']],
    [
      'zero credits for a sub-model',
      { models: { 'imagen-4': { credits: { imagen4: 0 } } } },
      'models.imagen-4.credits.imagen4',
      [],
    ],
    [
      'a negative latency',
      { models: { 'imagen-4': { latency_ms: { p5: -1, p95: 10 } } } },
      'models.imagen-4.latency_ms.p5',
      [],
    ],
    ['clock fast', { clock: 'fast' }, 'clock', []],
    ['a negative time_scale', { time_scale: -1 }, 'time_scale', []],
    ['a fractional seed', { seed: 1.5 }, 'seed', []],
    ['a zero answer grace', { webhooks: { answer_grace_ms: 0 } }, 'webhooks.answer_grace_ms', []],
    ['an answer grace over a minute', { webhooks: { answer_grace_ms: 60_001 } }, 'webhooks.answer_grace_ms', []],
    ['a list instead of an object', [1, 2], '(root)', []],
  ])('rejects %s, naming the field', (_what, raw, field, words) => {
    expectProblem(
      configError(() => parseConfig(raw)),
      field,
      ...words,
    );
  });
});

describe('applyOverrides', () => {
  it('leaves the catalog alone without model overrides', () => {
    expect(applyOverrides(catalog, parseConfig({}))).toBe(catalog);
    expect(applyOverrides(catalog, parseConfig({ models: {} }))).toBe(catalog);
  });

  it('applies latency, failure rate and credits without touching the original catalog', () => {
    const before = structuredClone(catalog.file);
    const next = applyOverrides(catalog, parseConfig(VALID));
    const imagen = next.resolve('imagen-4')!.model;
    expect(imagen.latency_ms).toEqual({ p5: 1000, p95: 2000 });
    expect(imagen.failure.rate).toBe(0);
    expect(next.resolve('imagen4')!.subModel.credits).toBe(9);
    expect(next.resolve('imagen4-ultra')!.subModel.credits).toBe(20);
    expect(next.resolve('imagen4-fast')!.subModel.credits).toBe(catalog.resolve('imagen4-fast')!.subModel.credits);
    expect(next.resolve('cogview-4')!.model.failure.rate).toBe(1);
    // Models not named keep their figures.
    expect(next.resolve('seedream')!.model).toEqual(catalog.resolve('seedream')!.model);
    expect(catalog.file).toEqual(before);
    expect(catalog.resolve('imagen4')!.subModel.credits).toBe(8);
  });

  it('rejects an unknown model, naming it and listing the known ones', () => {
    const err = configError(() => applyOverrides(catalog, parseConfig({ models: { nope: { failure_rate: 0 } } })));
    expectProblem(err, 'models.nope', 'unknown model', 'imagen-4');
  });

  it('rejects credits for a sub-model the model does not have', () => {
    const err = configError(() =>
      applyOverrides(catalog, parseConfig({ models: { 'imagen-4': { credits: { imagen5: 3 } } } })),
    );
    expectProblem(err, 'models.imagen-4.credits.imagen5', 'imagen4-ultra');
  });

  it('reports every problem at once', () => {
    const err = configError(() =>
      applyOverrides(
        catalog,
        parseConfig({ models: { nope: { failure_rate: 0 }, 'imagen-4': { credits: { imagen5: 3 } } } }),
      ),
    );
    expect(err.problems).toHaveLength(2);
  });

  it('rejects latency p5 above p95, through the catalog validation', () => {
    const err = configError(() =>
      applyOverrides(
        catalog,
        parseConfig({ models: { 'imagen-4': { latency_ms: { p5: 9000, p95: 100 } } } }),
        'x.yaml',
      ),
    );
    expectProblem(err, 'models.imagen-4.latency_ms.p5', '9000', '100');
    expect(err.file).toBe('x.yaml');
    const equalOk = applyOverrides(
      catalog,
      parseConfig({ models: { seedream: { latency_ms: { p5: 500, p95: 500 } } } }),
    );
    expect(equalOk.resolve('seedream')!.model.latency_ms).toEqual({ p5: 500, p95: 500 });
  });
});

describe('loadConfig', () => {
  it('loads a YAML file from disk', () => {
    const file = join(dir, 'gwsim.config.yaml');
    writeFileSync(
      file,
      [
        '# a config',
        'seed: 7',
        'clock: manual',
        'keys:',
        '  - { key: aio_yaml, credits: 42 }',
        'models:',
        '  imagen-4:',
        '    failure_rate: 0.5',
        '    credits: { imagen4: 11 }',
        '',
      ].join('\n'),
    );
    expect(loadConfig(file)).toEqual({
      seed: 7,
      clock: 'manual',
      keys: [{ key: 'aio_yaml', credits: 42 }],
      models: { 'imagen-4': { failure_rate: 0.5, credits: { imagen4: 11 } } },
    });
  });

  it('loads an empty file as an empty config', () => {
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, '');
    expect(loadConfig(file)).toEqual({});
  });

  it('names the file and the field when the file is invalid', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'keys:\n  - { key: aio_a, credits: -3 }\n');
    const err = configError(() => loadConfig(file));
    expect(err.file).toBe(file);
    expect(err.message).toContain(file);
    expectProblem(err, 'keys[0].credits');
  });

  it('turns a path it cannot read, or YAML that does not parse, into a ConfigError', () => {
    const missing = join(dir, 'does-not-exist.yaml');
    const err = configError(() => loadConfig(missing));
    expect(err.file).toBe(missing);
    expect(err.problems[0]).toMatch(/cannot read/);
    const directory = configError(() => loadConfig(dir));
    expect(directory.problems[0]).toMatch(/cannot read/);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'keys: [ { key: aio_a, credits: 1 }\n');
    expect(configError(() => loadConfig(broken)).file).toBe(broken);
  });
});

describe('a simulator started with a config', () => {
  let sim: TestSim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const keyOf = async (s: TestSim, key: string) =>
    (await s.admin_<{ credits: number; rate_limit: unknown }>('GET', `/keys/${key}`)).body;

  it('creates the configured keys next to the dev key, with their rate limits, again after a reset', async () => {
    sim = await startTestSim({
      config: {
        rate_limit: { requests: 1000, window_s: 30 },
        keys: [
          { key: 'aio_cfg', credits: 77 },
          { key: 'aio_slow', credits: 10, rate_limit: { requests: 2, window_s: 60 } },
        ],
      },
    });
    expect(await keyOf(sim, 'aio_cfg')).toMatchObject({ credits: 77, rate_limit: { requests: 1000, window_s: 30 } });
    expect(await keyOf(sim, DEV)).toMatchObject({ credits: 10_000, rate_limit: { requests: 1000, window_s: 30 } });
    expect(await keyOf(sim, 'aio_slow')).toMatchObject({ credits: 10, rate_limit: { requests: 2, window_s: 60 } });

    const credits = await sim.call<Envelope<{ balance: number }>>('GET', '/api/v1/credits', { key: 'aio_cfg' });
    expect(credits.body.data.balance).toBe(77);
    // aio_slow's own limit: the third request in the window is refused.
    for (let i = 0; i < 2; i++)
      expect((await sim.call('GET', '/api/v1/credits', { key: 'aio_slow' })).status).toBe(200);
    expect((await sim.call('GET', '/api/v1/credits', { key: 'aio_slow' })).status).toBe(429);

    await sim.admin_('POST', '/keys/aio_cfg/credits', { add: 3 });
    await sim.admin_('POST', '/reset');
    expect(await keyOf(sim, 'aio_cfg')).toMatchObject({ credits: 77 });
    expect((await sim.call('GET', '/api/v1/credits', { key: 'aio_slow' })).status).toBe(200);
  });

  it('a configured aio_dev_key replaces the default one', async () => {
    sim = await startTestSim({ config: { keys: [{ key: DEV, credits: 5 }] } });
    expect(await keyOf(sim, DEV)).toMatchObject({ credits: 5 });
  });

  it('applies model overrides: price, latency and failure rate', async () => {
    sim = await startTestSim({
      config: {
        models: { 'imagen-4': { failure_rate: 0, credits: { imagen4: 9 }, latency_ms: { p5: 1000, p95: 1000 } } },
      },
    });
    const model = await sim.call<Envelope<{ credits: number; sub_models: Array<{ id: string; credits: number }> }>>(
      'GET',
      '/api/v1/models/imagen-4',
    );
    expect(model.body.data.sub_models).toContainEqual({ id: 'imagen4', credits: 9 });
    const submitted = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    expect(submitted.body.data.credits_held).toBe(9);
    const id = submitted.body.data.task_id;
    const task = async () => (await sim!.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${id}`)).body.data;
    // A generation takes exactly one second now: not done before it.
    await sim.clock.advance(999);
    expect(['IN_QUEUE', 'IN_PROGRESS']).toContain((await task()).status);
    await sim.clock.advance(60_000);
    const done = await task();
    expect(done).toMatchObject({ status: 'COMPLETED', credits_charged: 9 });
    expect(Date.parse(done.completed_at!) - Date.parse(done.started_at!)).toBe(1000);
  });

  it('a failure rate of 1 fails every task and releases its credits', async () => {
    sim = await startTestSim({ config: { models: { 'imagen-4': { failure_rate: 1 } } } });
    const submitted = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body: SEED_IMAGEN });
    await sim.clock.advance(10 * 60 * 1000);
    const task = (await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${submitted.body.data.task_id}`)).body.data;
    expect(task.status).toBe('FAILED');
    expect(task.credits_charged).toBe(0);
    expect(await keyOf(sim, DEV)).toMatchObject({ credits: 10_000 });
  });

  it('loads a config file by path', async () => {
    const file = join(dir, 'sim.yaml');
    writeFileSync(file, 'keys:\n  - { key: aio_fromfile, credits: 12 }\n');
    sim = await startTestSim({ config: file });
    expect(await keyOf(sim, 'aio_fromfile')).toMatchObject({ credits: 12 });
  });

  it('refuses to start with an invalid config, naming the field', async () => {
    await expect(
      startTestSim({ config: { models: { 'imagen-4': { latency_ms: { p5: 10, p95: 1 } } } } }),
    ).rejects.toThrow(/models\.imagen-4\.latency_ms\.p5/);
    await expect(startTestSim({ config: { keys: [{ key: 'nope', credits: 1 }] } })).rejects.toBeInstanceOf(ConfigError);
    await expect(startTestSim({ config: join(dir, 'missing.yaml') })).rejects.toBeInstanceOf(ConfigError);
  });
});
