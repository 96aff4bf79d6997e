// `npm pack` (and `npm publish`) build dist/ with tsc, a devDependency. On a fresh clone nobody has
// run `npm ci` yet: install the locked dependencies first, so the pack builds instead of failing
// with "tsc: not found". Runs as `prepack`, which npm runs before `prepare` (the build).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../node_modules/typescript/package.json', import.meta.url))) {
  console.error('gwsim: no node_modules here; running npm ci before the build');
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
