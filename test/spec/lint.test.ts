import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binPath } from '../../src/optional-deps.js';
import { paths } from '../../src/paths.js';

const ROOT = dirname(dirname(paths.gatewaySpec));
const SPECTRAL = binPath('@stoplight/spectral-cli', 'spectral', 'the spec lint test');
const RULESET = join(ROOT, '.spectral.yaml');

interface SpectralResult {
  code: string;
  message: string;
  path: Array<string | number>;
  /** 0 error, 1 warning, 2 info, 3 hint. */
  severity: number;
  source?: string;
}

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Run spectral; a non-zero exit (it has findings) is an answer, not a failure. */
function spectral(files: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [SPECTRAL, 'lint', '-f', 'json', ...files, '--ruleset', RULESET],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** The JSON array spectral prints; it may be followed by a line of prose ("No results …"). */
function results(run: Run): SpectralResult[] {
  const start = run.stdout.indexOf('[');
  for (let end = run.stdout.lastIndexOf(']'); start >= 0 && end > start; end = run.stdout.lastIndexOf(']', end - 1)) {
    try {
      return JSON.parse(run.stdout.slice(start, end + 1)) as SpectralResult[];
    } catch {
      // A `]` inside the trailing text; try the previous one.
    }
  }
  throw new Error(`spectral printed no JSON (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
}

const describeResult = (r: SpectralResult): string =>
  `${r.source ?? '?'} ${r.path.join('.')}: [${r.code}] ${r.message}`;

describe('spectral lint', () => {
  it('finds no errors in the gateway, node and admin specs', async () => {
    const found = results(await spectral([paths.gatewaySpec, paths.nodeSpec, paths.adminSpec, paths.nodeAdminSpec]));
    const errors = found.filter((r) => r.severity === 0);
    expect(errors.map(describeResult)).toEqual([]);
  }, 60_000);

  describe('on a broken spec', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gwsim-lint-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('does report errors (so a clean result above means something)', async () => {
      const file = join(dir, 'broken.yaml');
      writeFileSync(
        file,
        'openapi: 3.1.0\ninfo: { title: broken, version: "1" }\npaths:\n  /a:\n    get:\n      responses: {}\n',
      );
      const run = await spectral([file]);
      expect(run.exitCode).not.toBe(0);
      expect(results(run).filter((r) => r.severity === 0).length).toBeGreaterThan(0);
    }, 60_000);
  });
});
