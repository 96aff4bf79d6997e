import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareShapes, ignoreMatcher, shapeOf } from '../../src/record/shape.js';
import { quantile } from '../../src/record/tasks.js';
import { startTestSim, type TestSim } from '../helpers/sim.js';

const none = { ignored: () => false, values: new Set<string>(), enums: new Map<string, readonly string[]>() };

describe('compareShapes', () => {
  it('names extra, missing and retyped fields at every depth, values held to their shape', () => {
    const recorded = {
      data: { id: 'n47a_imagen4', at: '2026-01-01T00:00:00Z', images: [{ url: 'https://x/0.png', w: '1' }], extra: 1 },
    };
    const simulated = {
      data: {
        id: 'n48b_cogview4',
        at: '2026-06-01T12:00:00.000Z',
        images: [
          { url: 'http://y/1.png', w: 2 },
          { url: 'http://y/2.png', w: 2 },
        ],
        gone: true,
      },
    };
    expect(compareShapes(recorded, simulated, none)).toEqual([
      { path: '$.data.images[].w', kind: 'type', recorded: 'string', simulator: 'number' },
      { path: '$.data.extra', kind: 'extra', recorded: 'number' },
      { path: '$.data.gone', kind: 'missing', simulator: 'boolean' },
    ]);
  });

  it('lets null match anything, holds enums and chosen values', () => {
    expect(compareShapes({ output: null }, { output: { images: [] } }, none)).toEqual([]);
    expect(shapeOf('2026-01-01T00:00:00.000Z')).toBe('string (date-time)');
    const options = {
      ignored: () => false,
      values: new Set(['$.code']),
      enums: new Map([['$.data.status', ['IN_QUEUE', 'COMPLETED']]]),
    };
    expect(
      compareShapes({ code: 201, data: { status: 'pending' } }, { code: 200, data: { status: 'IN_QUEUE' } }, options),
    ).toEqual([
      { path: '$.code', kind: 'value', recorded: '201', simulator: '200' },
      { path: '$.data.status', kind: 'value', recorded: '"pending"', simulator: 'one of IN_QUEUE, COMPLETED' },
    ]);
  });

  it('--ignore paths match the path and below, with [] and * as written', () => {
    const ignored = ignoreMatcher(['data.attempts', '$.data.output.images[0].url', 'data.*.width']);
    expect(
      ['$.data.attempts', '$.data.attempts[].node', '$.data.output.images[].url', '$.data.output.width'].map(ignored),
    ).toEqual([true, true, true, true]);
    expect(['$.data.attempts_left', '$.data.output.images[].width', '$.data'].map(ignored)).toEqual([
      false,
      false,
      false,
    ]);
  });
});

it('quantile interpolates linearly', () => {
  expect(quantile([100, 200, 300, 400, 500], 0.5)).toBe(300);
  expect(quantile([100, 200, 300, 400, 500], 0.95)).toBe(480);
  expect(quantile([7], 0.05)).toBe(7);
});

describe('GET /_sim/catalog', () => {
  let sim: TestSim;
  beforeAll(
    async () =>
      void (sim = await startTestSim({
        config: { models: { 'imagen-4': { latency_ms: { p5: 100, p95: 300 }, credits: { imagen4: 9 } } } },
      })),
  );
  afterAll(() => sim.close());

  it('shows each model as this simulator runs it, config applied', async () => {
    const { status, body } = await sim.admin_<{ time_scale: number; models: Array<Record<string, unknown>> }>(
      'GET',
      '/catalog',
    );
    expect(status).toBe(200);
    expect(body.time_scale).toBe(1);
    expect(body.models.find((m) => m.id === 'imagen-4')).toMatchObject({
      latency_ms: { p5: 100, p95: 300 },
      credits: { imagen4: 9 },
      default_sub_model: 'imagen4',
      names: expect.arrayContaining(['imagen4']),
    });
    expect(body.models).toHaveLength(11);
  });
});
