import { execFileSync } from 'node:child_process';

// Tests that run the `gwsim` CLI run the built dist/, so build it once, fresh, before them.
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'src/tsconfig.build.json'], { stdio: 'inherit' });
}
