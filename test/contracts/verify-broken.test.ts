import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACTS_DIR, PARTICIPANTS } from '../../src/contracts/participants.js';
import { startSimulator, type Simulator } from '../../src/simulator.js';
import { BIN } from '../helpers/cli.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, clock: 'manual', renameResponseField: { from: 'available', to: 'avail' } });
});
afterAll(() => sim?.close());

/** `gwsim verify` as a user runs it (dist/ is built by the global setup). */
function gwsimVerify(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'verify', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('gwsim verify', () => {
  it('against a gateway that renamed a response field: exit 1, and the report names the field', async () => {
    const { code, out } = await gwsimVerify([
      '--pacts',
      PACTS_DIR,
      '--provider-base-url',
      sim.url,
      '--provider',
      PARTICIPANTS.gateway,
    ]);
    expect(code).toBe(1);
    expect(out).toMatch(
      /a request for the credit balance\n\s+\$\.data -> Actual map is missing the following keys: available/,
    );
    expect(out).toContain('FAIL  gwsim-client → api-in-one-gateway');
  }, 120_000);

  it('with bad flags: exit 2 naming the flag', async () => {
    const { code, out } = await gwsimVerify(['--pacts', PACTS_DIR, '--provider-base-url', 'not-a-url']);
    expect(code).toBe(2);
    expect(out).toContain('--provider-base-url');
  });
});
