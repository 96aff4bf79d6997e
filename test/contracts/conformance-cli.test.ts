import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator.js';
import { run } from '../helpers/cli.js';
import { readJUnit } from '../helpers/junit.js';

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, clock: 'manual', config: { models: { 'imagen-4': { failure_rate: 0 } } } });
  dir = mkdtempSync(join(tmpdir(), 'gwsim-conformance-cli-'));
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gwsim conformance (CLI): no false passes', () => {
  it('a dead port: exit 1, one line saying it is unreachable', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as AddressInfo;
    await new Promise((r) => s.close(r));
    const r = await run(['conformance', '--target', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `gwsim conformance: cannot reach http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    ]);
    expect(r.stdout).not.toMatch(/ok /);
  });

  it('a wrong key: exit 1, one line naming the 401', async () => {
    const r = await run(['conformance', '--target', sim.url, '--key', 'aio_wrong_key']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^gwsim conformance: the key was refused: GET \/api\/v1\/credits answered 401 \(authentication_error/,
      ),
    ]);
  });

  it('--junit writes a testcase per step', async () => {
    const r = await run(['conformance', '--target', sim.url, '--junit', join(dir, 'conformance.xml')], 60_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const steps = Number(/(\d+) passed, 0 failed/.exec(r.stdout)?.[1]);
    const junit = readJUnit(join(dir, 'conformance.xml'));
    expect(junit).toMatchObject({ tests: steps, failures: 0, skipped: 0 });
    expect(junit.cases).toEqual(
      expect.arrayContaining(['list models', 'unknown key (401)', 'no credits (402)', 'over the rate limit (429)']),
    );
  }, 60_000);
});
