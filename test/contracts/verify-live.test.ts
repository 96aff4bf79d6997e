import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PACTS_DIR } from '../../src/contracts/participants.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator.js';
import { run, startGwsim } from '../helpers/cli.js';
import { readJUnit } from '../helpers/junit.js';

// A stand-in for a real deployment: no /_sim. Time scale 0.2 keeps real generations short while a
// task still spends long enough IN_PROGRESS for live mode to catch it.
const KEYS = [
  { key: 'aio_live', credits: 1000 },
  { key: 'aio_broke', credits: 0 },
];
const LIVE_LIMIT_MS = 90_000;
const NOT_LIVE = [
  'a generation request the balance cannot cover',
  'a request for a task that is FAILED',
  'a request for a task that is IN_QUEUE',
  'a request over the rate limit',
  'a task finished webhook',
];

let dir: string;
let sim: Simulator | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gwsim-verify-live-'));
});
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function deployment(extra: SimulatorOptions = {}): Promise<Simulator> {
  sim = await startSimulator({ port: 0, admin: false, timeScale: 0.2, config: { keys: KEYS }, ...extra });
  return sim;
}
const verifyLive = (target: string, ...args: string[]) =>
  run(['verify', '--pacts', PACTS_DIR, '--provider-base-url', target, ...args], LIVE_LIMIT_MS);
const available = async (s: Simulator, key = 'aio_live') => (await s.admin.getKey(key)).available;

describe('gwsim verify, live mode (a target without /_sim)', () => {
  it(
    'passes against gwsim serve --no-admin, spends at most --max-credits, lists what is not verifiable live',
    async () => {
      const config = join(dir, 'keys.yaml');
      writeFileSync(config, `keys:\n${KEYS.map((k) => `  - { key: ${k.key}, credits: ${k.credits} }`).join('\n')}\n`);
      const { firstLine } = await startGwsim([
        'serve',
        '--no-admin',
        '--port',
        '0',
        '--time-scale',
        '0.2',
        '--config',
        config,
      ]);
      const target = /(http:\/\/\S+)/.exec(firstLine)![1]!;
      const credits = async () =>
        (
          (await (
            await fetch(`${target}/api/v1/credits`, { headers: { authorization: 'Bearer aio_live' } })
          ).json()) as { data: { available: number } }
        ).data.available;
      expect((await fetch(`${target}/_sim/clock`)).status).toBe(404);
      const r = await verifyLive(
        target,
        '--header',
        'Authorization: Bearer aio_live',
        '--junit',
        join(dir, 'live.xml'),
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('(live: no /_sim, states through the public API)');
      expect(r.stdout).toMatch(
        /plan: 10 interactions to verify live, 5 not verifiable live, estimated credits 20 \(budget --max-credits 50\)/,
      );
      const spent = Number(
        /verified live 10, not verifiable live 5, failed 0, credits spent (\d+)/.exec(r.stdout)?.[1],
      );
      expect(spent).toBeLessThanOrEqual(50);
      expect(spent).toBe(1000 - (await credits()));
      const listed = r.stdout.slice(r.stdout.indexOf('  not verifiable live:'));
      for (const name of NOT_LIVE) expect(listed).toContain(name);
      expect(readJUnit(join(dir, 'live.xml'))).toMatchObject({
        tests: 15,
        failures: 0,
        skipped: 5,
        skippedCases: expect.arrayContaining(NOT_LIVE) as unknown,
      });
    },
    LIVE_LIMIT_MS,
  );

  it(
    'never spends past --max-credits, and verifies a state the user supplies a key for (--state-key)',
    async () => {
      const s = await deployment();
      const r = await verifyLive(
        s.url,
        '--key',
        'aio_live',
        '--max-credits',
        '10',
        '--state-key',
        'an API key without credits=aio_broke',
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/past the budget of 10/);
      const spent = Number(/failed 0, credits spent (\d+)/.exec(r.stdout)?.[1]);
      expect(spent).toBeLessThanOrEqual(10);
      expect(1000 - (await available(s))).toBe(spent);
      expect(r.stdout).toMatch(/verify {15}a generation request the balance cannot cover/);
      expect(r.stdout).not.toMatch(/not verifiable live {2}a generation request the balance cannot cover/);
    },
    LIVE_LIMIT_MS,
  );

  it(
    '--dry-run prints the plan and spends nothing',
    async () => {
      const s = await deployment();
      const r = await verifyLive(s.url, '--key', 'aio_live', '--dry-run');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/plan: 10 interactions to verify live/);
      expect(r.stdout).not.toMatch(/verified live/);
      expect(await available(s)).toBe(1000);
      expect(await s.admin.tasks({})).toEqual([]);
    },
    LIVE_LIMIT_MS,
  );

  it(
    'fails against a deployment that renamed a response field, naming the field',
    async () => {
      const s = await deployment({ renameResponseField: { from: 'available', to: 'avail' } });
      const r = await verifyLive(s.url, '--key', 'aio_live');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /a request for the credit balance\n\s+\$\.data -> Actual map is missing the following keys: available/,
      );
      expect(r.stdout).toMatch(/failed [1-9]\d*, credits spent \d+/);
    },
    LIVE_LIMIT_MS,
  );

  it(
    'a wrong key: exit 1, one line naming the 401; no key at all: one line saying what to pass',
    async () => {
      const s = await deployment();
      const wrong = await verifyLive(s.url, '--key', 'aio_wrong');
      expect(wrong.code).toBe(1);
      expect(wrong.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^gwsim verify: the key was refused: GET \/api\/v1\/credits answered 401/),
      ]);
      const none = await verifyLive(s.url);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(
        /live mode needs your API key: --key aio_… or --header 'Authorization: Bearer aio_…'/,
      );
    },
    LIVE_LIMIT_MS,
  );

  it(
    '--live forces live mode on a gwsim that has /_sim',
    async () => {
      sim = await startSimulator({ port: 0, config: { keys: KEYS } });
      const r = await verifyLive(sim.url, '--key', 'aio_live', '--live', '--dry-run');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('(live: no /_sim, states through the public API)');
    },
    LIVE_LIMIT_MS,
  );
});
