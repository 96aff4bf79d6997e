import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACTS_DIR, PARTICIPANTS } from '../../src/contracts/participants.js';
import { verifyPacts } from '../../src/contracts/verify.js';
import { startSimulator, type Simulator } from '../../src/simulator.js';

let sim: Simulator;
beforeAll(async () => {
  // The manual clock lets provider states hold a task in any status.
  sim = await startSimulator({ port: 0, clock: 'manual', seed: 11 });
});
afterAll(() => sim?.close());

describe('the pacts against the simulator', () => {
  it(`${PARTICIPANTS.client} → ${PARTICIPANTS.gateway} holds`, async () => {
    const [result] = await verifyPacts({ pactsDir: PACTS_DIR, providerBaseUrl: sim.url, provider: PARTICIPANTS.gateway });
    expect(result?.detail ?? '').toBe('');
    expect(result?.ok).toBe(true);
  }, 120_000);

  it(`${PARTICIPANTS.webhookReceiver} ← ${PARTICIPANTS.gatewayWebhooks} holds (a real delivery)`, async () => {
    const [result] = await verifyPacts({ pactsDir: PACTS_DIR, providerBaseUrl: sim.url, provider: PARTICIPANTS.gatewayWebhooks });
    expect(result?.detail ?? '').toBe('');
    expect(result?.ok).toBe(true);
  }, 120_000);
});
