import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath } from '../src/optional-deps.js';

// Tests that run the `gwsim` CLI run the built dist/ (tsc's output and the bundled bin,
// dist/gwsim.js), so build both once, fresh, before them: the same two steps as `npm run build`.
// The run gets a temporary directory of its own (TMPDIR, which os.tmpdir() and the processes
// tests start read), removed at teardown: a test's leftovers do not outlive the run.
export default function setup(): () => void {
  execFileSync(process.execPath, [binPath('typescript', 'tsc', 'the tests'), '-p', 'src/tsconfig.build.json'], {
    stdio: 'inherit',
  });
  execFileSync(process.execPath, ['scripts/bundle-cli.mjs'], { stdio: 'inherit' });
  const outer = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'gwsim-test-run-'));
  process.env.TMPDIR = dir;
  return () => {
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    rmSync(dir, { recursive: true, force: true });
  };
}
