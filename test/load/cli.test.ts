import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadReport } from '../../src/load/report.js';
import { BIN } from '../helpers/cli.js';
import { readJUnit } from '../helpers/junit.js';
import { DEV, startTestSim, type TestSim } from '../helpers/sim.js';

// The built CLI (test/global-setup.ts builds dist/), as a user runs it.
const ROOT = new URL('../../', import.meta.url).pathname;
const CHILD_LIMIT_MS = 15_000;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function gwsim(args: string[]): Promise<Result> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gwsim ${args.join(' ')} still running after ${CHILD_LIMIT_MS} ms:\n${stdout}${stderr}`));
    }, CHILD_LIMIT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let sim: TestSim;
let dir: string;
beforeAll(async () => {
  sim = await startTestSim({ clock: 'real', timeScale: 0.001 });
  dir = mkdtempSync(join(tmpdir(), 'gwsim-load-cli-'));
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as LoadReport;

describe('gwsim load (CLI)', () => {
  it('exits 99 when a threshold is breached, 0 when all hold, writing the JSON and HTML reports', async () => {
    const base = [
      'load',
      '--target',
      sim.url,
      '--key',
      DEV,
      '--rate',
      '20',
      '--duration',
      '500ms',
      '--mix',
      'imagen4-fast',
    ];
    const [breached, held] = await Promise.all([
      gwsim([
        ...base,
        '--threshold',
        'p99(submit) < 0.001ms',
        '--out',
        join(dir, 'breached.json'),
        '--html',
        join(dir, 'breached.html'),
        '--junit',
        join(dir, 'breached.xml'),
      ]),
      gwsim([
        ...base,
        '--journey',
        'submit',
        '--threshold',
        'p99(submit) < 60s',
        '--threshold',
        'error_rate < 50%',
        '--out',
        join(dir, 'held.json'),
        '--junit',
        join(dir, 'held.xml'),
      ]),
    ]);
    expect(breached.code, breached.stderr).toBe(99);
    expect(breached.stdout).toMatch(/FAIL p99\(submit\) < 0\.001ms/);
    const report = read(join(dir, 'breached.json'));
    expect(report.passed).toBe(false);
    expect(report.arrivals.started).toBe(10);
    expect(readFileSync(join(dir, 'breached.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(held.code, held.stderr).toBe(0);
    expect(held.stdout).toMatch(/ok {3}error_rate < 50%/);
    expect(read(join(dir, 'held.json'))).toMatchObject({ passed: true, journey_kinds: { submit: 10 } });
    // A testcase per threshold, the breached one failed.
    expect(readJUnit(join(dir, 'breached.xml'))).toMatchObject({
      tests: report.thresholds.length,
      failures: 1,
      skipped: 0,
    });
    expect(readJUnit(join(dir, 'breached.xml')).failed).toEqual(['p99(submit) < 0.001ms']);
    expect(readJUnit(join(dir, 'held.xml'))).toMatchObject({
      tests: 2,
      failures: 0,
      cases: ['p99(submit) < 60s', 'error_rate < 50%'],
    });
  });

  it('runs shards of a scenario file and merges their reports', async () => {
    const scenario = join(dir, 'shards.yaml');
    writeFileSync(
      scenario,
      'name: sharded\nrate: 30\nduration: 500ms\nmix: [{ model: imagen4-fast }]\npoll: { interval: 5ms }\nthresholds: ["p99(completion) < 30s", "dropped == 0"]\n',
    );
    const runs = await Promise.all(
      ['1/2', '2/2'].map((s, i) =>
        gwsim([
          'load',
          '--target',
          sim.url,
          '--key',
          DEV,
          '--scenario',
          scenario,
          '--shard',
          s,
          '--out',
          join(dir, `shard${i + 1}.json`),
        ]),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const [merged, again] = await Promise.all([
      gwsim([
        'load',
        'merge',
        join(dir, 'shard1.json'),
        join(dir, 'shard2.json'),
        '--out',
        join(dir, 'merged.json'),
        '--html',
        join(dir, 'merged.html'),
      ]),
      gwsim(['load', 'merge', join(dir, 'shard1.json'), join(dir, 'shard1.json')]),
    ]);
    expect(merged.code, merged.stderr).toBe(0);
    const m = read(join(dir, 'merged.json'));
    expect(m.arrivals).toEqual({ scheduled: 15, started: 15, dropped: 0 });
    expect(m.shards).toEqual(['1/2', '2/2']);
    expect(m.thresholds.map((t) => t.ok)).toEqual([true, true]);
    expect(existsSync(join(dir, 'merged.html'))).toBe(true);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/shard 1\/2 appears in more than one report/);
  });

  it('refuses bad flags and scenarios with exit 2, naming the flag or field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'rate: 30\nduration: 1s\nmix: [{ model: imagen4-fast }]\nthresholds: ["journeys_missing == 0"]\n',
    );
    const cases = await Promise.all([
      gwsim(['load', '--target', sim.url, '--key', DEV, '--scenario', bad]),
      gwsim(['load', '--key', DEV, '--rate', '5', '--duration', '1s']),
      gwsim(['load', '--target', sim.url, '--key', DEV, '--rate', '5', '--duration', '1s', '--mix', 'imagen5']),
      gwsim(['load', '--target', sim.url, '--key', DEV, '--rate', '5', '--duration', '1s', '--shard', '3/2']),
      gwsim(['load', '--target', sim.url, '--key', DEV, '--scenario', join(dir, 'missing.yaml')]),
    ]);
    expect(cases.map((c) => c.code)).toEqual([2, 2, 2, 2, 2]);
    expect(cases[0].stderr).toMatch(/thresholds\[0\]: unknown metric 'journeys_missing'/);
    expect(cases[1].stderr).toMatch(/--target URL is required/);
    expect(cases[2].stderr).toMatch(/mix\[0\]\.model: unknown model 'imagen5'/);
    expect(cases[3].stderr).toMatch(/--shard takes i\/n/);
    expect(cases[4].stderr).toMatch(/missing\.yaml:\n {2}\(file\): cannot read/);
  });
});
