import { afterEach, describe, expect, it } from 'vitest';
import { runConformance } from '../../src/contracts/conformance.js';
import { paths } from '../../src/paths.js';
import { startSimulator, type Simulator } from '../../src/simulator.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('gwsim conformance (prism proxy --errors in front of the target)', () => {
  it('finds zero violations on the simulator, over every route, the errors and a full lifecycle', async () => {
    sim = await startSimulator({ port: 0, clock: 'manual', config: { models: { 'imagen-4': { failure_rate: 0 } } } });
    const results = await runConformance({ target: sim.url, spec: paths.gatewaySpec, key: 'aio_dev_key' });
    const steps = results.map((r) => r.step);
    for (const s of [
      'list models',
      'submit (async)',
      'submit (sync cogview-4)',
      'unknown key (401)',
      'no credits (402)',
      'unknown task (404)',
      'over the rate limit (429)',
    ])
      expect(steps).toContain(s);
    expect(results.filter((r) => /poll/.test(r.step)).at(-1)?.status).toBe(200);
    expect(results.find((r) => r.step === 'over the rate limit (429)')?.status).toBe(429);
    expect(results.flatMap((r) => r.violations.map((v) => `${r.step}: ${v}`))).toEqual([]);
  }, 90_000);

  it('fails on a simulator that renamed a response field, naming the field', async () => {
    sim = await startSimulator({
      port: 0,
      clock: 'manual',
      renameResponseField: { from: 'credits_held', to: 'creditsHeld' },
    });
    const results = await runConformance({ target: sim.url, spec: paths.gatewaySpec, key: 'aio_dev_key' });
    const violations = results.flatMap((r) => r.violations).join('\n');
    expect(violations).toContain('credits_held');
  }, 90_000);
});
