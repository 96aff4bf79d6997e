import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACTS_DIR, PARTICIPANTS } from '../../src/contracts/participants.js';
import { run, startGwsim } from '../helpers/cli.js';
import { readJUnit } from '../helpers/junit.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gwsim-verify-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const url = (line: string) => /(http:\/\/\S+)/.exec(line)![1]!;
// One verify run takes a few seconds; the machine is shared, so allow a slow one (still bounded).
const VERIFY_LIMIT_MS = 60_000;

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('gwsim verify against gwsim: provider states by construction', () => {
  it(
    'passes ten runs in a row against a real-clock gwsim at --time-scale 0.01',
    async () => {
      const { firstLine } = await startGwsim(['serve', '--port', '0', '--time-scale', '0.01', '--seed', '5']);
      const codes: Array<number | null> = [];
      for (let i = 0; i < 10; i++) {
        // No --provider: the gateway's pacts (the client pact and the webhook message pact) are picked by what the target is.
        const r = await run(
          [
            'verify',
            '--pacts',
            PACTS_DIR,
            '--provider-base-url',
            url(firstLine),
            ...(i === 0 ? ['--junit', join(dir, 'gateway.xml')] : []),
          ],
          VERIFY_LIMIT_MS,
        );
        expect(r.stdout, r.stderr).toMatch(/2 passed, 0 failed \(interactions: 15 passed, 0 failed\)/);
        codes.push(r.code);
      }
      expect(codes).toEqual(Array(10).fill(0));
      expect(readJUnit(join(dir, 'gateway.xml'))).toMatchObject({ tests: 15, failures: 0, skipped: 0 });
    },
    10 * VERIFY_LIMIT_MS,
  );

  it(
    'passes against a gwsim node at its defaults (without --provider)',
    async () => {
      const { firstLine } = await startGwsim(['node', '--id', 'node47', '--port', '0']);
      for (let i = 0; i < 3; i++) {
        const r = await run(['verify', '--pacts', PACTS_DIR, '--provider-base-url', url(firstLine)], VERIFY_LIMIT_MS);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toMatch(/PASS {2}api-in-one-gateway → provider-node/);
        expect(r.stdout).toMatch(/interactions: 9 passed, 0 failed/);
      }
    },
    3 * VERIFY_LIMIT_MS,
  );
});

describe('gwsim verify: fast, clear failures', () => {
  it('an unreachable URL: exit 1 within 15 s, one line, no stack trace', async () => {
    const started = Date.now();
    const r = await run([
      'verify',
      '--pacts',
      PACTS_DIR,
      '--provider-base-url',
      `http://127.0.0.1:${await deadPort()}`,
      '--provider',
      PARTICIPANTS.gateway,
    ]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^gwsim verify: cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)$/,
      ),
    ]);
  });

  it('with --debug, the same failure also shows its stack', async () => {
    const r = await run([
      'verify',
      '--pacts',
      PACTS_DIR,
      '--provider-base-url',
      `http://127.0.0.1:${await deadPort()}`,
      '--debug',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('a target that is not an API in One gateway: exit 1, one line saying so', async () => {
    const other = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const r = await run([
        'verify',
        '--pacts',
        PACTS_DIR,
        '--provider-base-url',
        `http://127.0.0.1:${(other.address() as AddressInfo).port}`,
        '--provider',
        PARTICIPANTS.gateway,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/is not an API in One gateway: GET \/api\/v1\/models answered 404 text\/html/),
      ]);
    } finally {
      other.close();
    }
  });
});
