import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gwsim.js');

it('the package command in a tarball packed without its build says so and exits 2 (not "gwsim: not found")', () => {
  // The package's layout with scripts off at pack time: bin/ and no dist/.
  const pkg = mkdtempSync(join(tmpdir(), 'gwsim-nobuild-'));
  mkdirSync(join(pkg, 'bin'));
  copyFileSync(BIN, join(pkg, 'bin', 'gwsim.js'));
  const r = spawnSync(process.execPath, [join(pkg, 'bin', 'gwsim.js'), '--help'], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/no build \(dist\/ is missing\).*packed with scripts off/);
  expect(r.stderr).toMatch(/npm run build before npm pack --ignore-scripts/);
  expect(r.stdout).toBe('');
});

it('with the build beside it, the package command is the CLI', () => {
  const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
});
