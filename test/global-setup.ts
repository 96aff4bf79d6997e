import { execFileSync } from 'node:child_process';
import { binPath } from '../src/optional-deps.js';

// Tests that run the `gwsim` CLI run the built dist/ (tsc's output and the bundled bin,
// dist/gwsim.js), so build both once, fresh, before them: the same two steps as `npm run build`.
export default function setup(): void {
  execFileSync(process.execPath, [binPath('typescript', 'tsc', 'the tests'), '-p', 'src/tsconfig.build.json'], {
    stdio: 'inherit',
  });
  execFileSync(process.execPath, ['scripts/bundle-cli.mjs'], { stdio: 'inherit' });
}
