import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACTS_DIR, PARTICIPANTS } from '../../src/contracts/participants.js';
import { verifyPacts } from '../../src/contracts/verify.js';
import { startSimulator, type Simulator } from '../../src/simulator.js';

let sim: Simulator;
beforeAll(async () => {
  // Provider states are fixtures, so any clock works; the real one at its defaults is the hardest.
  sim = await startSimulator({ port: 0, seed: 11 });
});
afterAll(() => sim?.close());

describe('the pacts against the simulator', () => {
  it(`${PARTICIPANTS.client} → ${PARTICIPANTS.gateway} holds`, async () => {
    const [result] = await verifyPacts({
      pactsDir: PACTS_DIR,
      providerBaseUrl: sim.url,
      provider: PARTICIPANTS.gateway,
    });
    expect(result?.detail ?? '').toBe('');
    expect(result?.ok).toBe(true);
  }, 120_000);

  it(`${PARTICIPANTS.webhookReceiver} ← ${PARTICIPANTS.gatewayWebhooks} holds (a real delivery)`, async () => {
    const [result] = await verifyPacts({
      pactsDir: PACTS_DIR,
      providerBaseUrl: sim.url,
      provider: PARTICIPANTS.gatewayWebhooks,
    });
    expect(result?.detail ?? '').toBe('');
    expect(result?.ok).toBe(true);
  }, 120_000);
});
