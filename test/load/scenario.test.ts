import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Catalog } from '../../src/catalog/load-catalog.js';
import { ArrivalPlanner } from '../../src/load/arrival-plan.js';
import { ArrivalSchedule } from '../../src/load/arrivals.js';
import { loadScenario, parseScenario, ScenarioError } from '../../src/load/scenario.js';

let catalog: Catalog;
let dir: string;
beforeAll(() => {
  catalog = loadCatalog();
  dir = mkdtempSync(join(tmpdir(), 'gwsim-scenario-'));
});

function problems(yaml: string): string[] {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  try {
    loadScenario(file, catalog);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toContain(file);
    return (err as ScenarioError).problems;
  }
  throw new Error('the scenario was accepted');
}

const GOOD = `
name: staging smoke
seed: 3
stages:
  - { duration: 10s, target: 20 }
  - { duration: 1m, target: 20 }
arrival: poisson
max_in_flight: 200
journeys: { poll: 3, webhook: 1 }
mix:
  - { model: imagen4, weight: 3, params: { aspect_ratio: ["1:1", "16:9"], num_images: [1, 2] } }
  - { model: cogview-4, params: { quality: standard } }
poll: { interval: 250ms, backoff: 2, max_interval: 4s }
timeouts: { journey: 2m }
thresholds:
  - p99(submit) < 300ms
  - p95(completion:imagen4) < 10s
  - error_rate < 1%
`;

describe('scenario files', () => {
  it('reads a full scenario, resolving models and durations', () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, GOOD);
    const s = loadScenario(file, catalog);
    expect(s.stages).toEqual([
      { durationMs: 10_000, from: 0, to: 20 },
      { durationMs: 60_000, from: 20, to: 20 },
    ]);
    expect(s.mix.map((m) => [m.name, m.model.id, m.subModel.credits])).toEqual([
      ['imagen4', 'imagen-4', 8],
      ['cogview-4', 'cogview-4', 4],
    ]);
    expect(s.poll).toEqual({ intervalMs: 250, backoff: 2, maxIntervalMs: 4000 });
    expect(s.journeyTimeoutMs).toBe(120_000);
    expect(s.thresholds.map((t) => t.expression)).toEqual([
      'p99(submit) < 300ms',
      'p95(completion:imagen4) < 10s',
      'error_rate < 1%',
    ]);
  });

  it('names the field of each problem', () => {
    expect(problems('rate: 5\nduration: 10x\nmix: [{ model: imagen4 }]\n')).toEqual([
      expect.stringMatching(/^duration: '10x' is not a duration/),
    ]);
    expect(problems('rate: 5\nduration: 1s\nmix: [{ model: imagen4 }, { model: dall-e-9 }]\n')).toEqual([
      expect.stringMatching(/^mix\[1\]\.model: unknown model 'dall-e-9'/),
    ]);
    expect(problems('rate: 5\nduration: 1s\nmix: [{ model: imagen4, wieght: 2 }]\n')).toEqual([
      'mix[0].wieght: unknown field',
    ]);
    expect(problems('rate: -1\nduration: 1s\nmix: [{ model: imagen4 }]\n')[0]).toMatch(/^rate: /);
    expect(problems('rate: 5\nduration: 1s\nmix: [{ model: cogview-4, params: { aspect_ratio: "1:1" } }]\n')).toEqual([
      expect.stringMatching(/^mix\[0\]\.params\.aspect_ratio: model 'cogview-4' takes no parameter/),
    ]);
    expect(
      problems('rate: 5\nduration: 1s\nmix: [{ model: imagen4, params: { aspect_ratio: ["1:1", "5:1"] } }]\n'),
    ).toEqual([expect.stringMatching(/^mix\[0\]\.params\.aspect_ratio: must be one of/)]);
    expect(problems('rate: 5\nduration: 1s\nmix: [{ model: imagen4, params: { num_images: 9 } }]\n')).toEqual([
      'mix[0].params.num_images: must be from 1 to 4',
    ]);
    expect(problems('rate: 5\nduration: 1s\nmix: [{ model: imagen4, params: { prompt: hi } }]\n')).toEqual([
      'mix[0].params.prompt: is set by the generator',
    ]);
    expect(
      problems(
        'rate: 5\nduration: 1s\nmix: [{ model: imagen4 }]\nthresholds: ["p99(submit) < 3ms", "p99(sumbit) < 3ms"]\n',
      ),
    ).toEqual([expect.stringMatching(/^thresholds\[1\]: unknown phase 'sumbit'/)]);
    expect(problems('rate: 5\nstages: [{ duration: 1s, target: 5 }]\nmix: [{ model: imagen4 }]\n')).toEqual([
      expect.stringMatching(/^stages: give either/),
    ]);
    expect(problems('duration: 1s\nmix: [{ model: imagen4 }]\n')).toEqual([expect.stringMatching(/^rate: required/)]);
    expect(problems('rate: 5\nduration: 1s\n')).toEqual([expect.stringMatching(/^mix: /)]);
    expect(problems('rate: 5000\nduration: 1h\nmix: [{ model: imagen4 }]\n')).toEqual([
      expect.stringMatching(/^rate: 18000000 arrivals is over the limit/),
    ]);
    expect(
      problems('rate: 5\nduration: 1s\nmix: [{ model: imagen4 }]\npoll: { interval: 2s, max_interval: 1s }\n'),
    ).toEqual([expect.stringMatching(/^poll\.max_interval/)]);
    expect(problems('rate: [5\n')).toEqual([expect.stringMatching(/^\(file\): cannot read/)]);
  });
});

describe('arrival planning', () => {
  const scenario = () =>
    parseScenario(
      {
        seed: 11,
        rate: 100,
        duration: '1s',
        journeys: { poll: 1, webhook: 1 },
        mix: [
          { model: 'imagen4', weight: 2, params: { aspect_ratio: ['1:1', '16:9'], num_images: [1, 3] } },
          { model: 'cogview-4' },
        ],
      },
      catalog,
    );

  it('decides each arrival from the seed and its index alone, with faker prompts and catalog prices', () => {
    const schedule = new ArrivalSchedule(scenario().stages);
    const a = new ArrivalPlanner(scenario());
    const plans = [...schedule.arrivals()].map((x) => a.plan(x));
    const b = new ArrivalPlanner(scenario());
    // A shard plans its arrivals exactly as the whole run does.
    expect([...schedule.arrivals({ index: 2, count: 3 })].map((x) => b.plan(x))).toEqual(
      plans.filter((p) => p.index % 3 === 1),
    );
    const bodies = plans.map((p) => JSON.parse(p.body) as Record<string, unknown>);
    expect(new Set(bodies.map((b) => b.prompt)).size).toBeGreaterThan(50);
    expect(bodies.every((b) => typeof b.prompt === 'string' && b.prompt.length > 10)).toBe(true);
    for (const [i, p] of plans.entries()) {
      const body = bodies[i]!;
      if (p.mix.name === 'imagen4') {
        expect(['1:1', '16:9']).toContain(body.aspect_ratio);
        expect(p.price).toBe(8 * (body.num_images as number));
      } else {
        expect(p.price).toBe(4);
        // cogview-4 takes no callback: its webhook journeys poll.
        expect(p.kind).toBe('poll');
      }
    }
    const kinds = new Set(plans.map((p) => p.kind));
    expect(kinds).toEqual(new Set(['poll', 'webhook']));
    const other = new ArrivalPlanner({ ...scenario(), seed: 12 });
    expect([...schedule.arrivals()].map((x) => other.plan(x).body)).not.toEqual(plans.map((p) => p.body));
  });

  it('sends each body as its UTF-8 bytes, kept or not, and the same plan either way', () => {
    const seeds = Array.from({ length: 20 }, (_, i) => i);
    // 512 prompts × 2 × 20 seeds: more combinations than the planner keeps bodies for.
    const many = (choices: number[]) =>
      parseScenario(
        {
          rate: 2000,
          duration: '1s',
          journeys: { submit: 1 },
          mix: [{ model: 'imagen4', params: { aspect_ratio: ['1:1', '16:9'], seed: choices } }],
        },
        catalog,
      );
    const arrivals = [...new ArrivalSchedule(many(seeds).stages).arrivals()];
    const planner = new ArrivalPlanner(many(seeds));
    const plans = arrivals.map((x) => planner.plan(x));
    for (const p of plans) {
      expect(p.bytes.equals(Buffer.from(p.body))).toBe(true);
      const body = JSON.parse(p.body) as { aspect_ratio: string; seed: number };
      expect(['1:1', '16:9']).toContain(body.aspect_ratio);
      expect(seeds).toContain(body.seed);
    }
    expect(new Set(plans.map((p) => (JSON.parse(p.body) as { seed: number }).seed)).size).toBe(20);
    // Planned again (its bodies now made, where kept), every plan is the same.
    expect(arrivals.map((x) => planner.plan(x))).toEqual(plans);
    const kept = new ArrivalPlanner(scenario());
    const once = [...new ArrivalSchedule(scenario().stages).arrivals()].map((x) => kept.plan(x));
    expect(once.every((p) => p.bytes.equals(Buffer.from(p.body)))).toBe(true);
  });
});
