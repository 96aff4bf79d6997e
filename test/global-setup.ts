import { execFileSync } from 'node:child_process';
import { binPath } from '../src/optional-deps.js';

// Tests that run the `gwsim` CLI run the built dist/, so build it once, fresh, before them.
export default function setup(): void {
  execFileSync(process.execPath, [binPath('typescript', 'tsc', 'the tests'), '-p', 'src/tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
