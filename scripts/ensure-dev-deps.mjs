// `npm pack` (and `npm publish`) build dist/ with tsc, a devDependency. On a fresh clone nobody has
// run `npm ci` yet: install the locked dependencies first, so the pack builds instead of failing
// with "tsc: not found". Runs first in `prepack`, before the build. (The build is not a `prepare`
// script: npm would list it as an install script of the tarball, which has no tsc to run it.)
//
// The nested npm ci must not take the outer command's settings, which npm hands to scripts as
// npm_config_* variables: `npm pack --dry-run` would install nothing, `NODE_ENV=production` or
// `--omit=dev` would leave tsc out (both "tsc: not found", exit 127), and `npm pack --json`
// would get npm ci's own JSON on its stdout ahead of the pack's, so stdout no longer parses.
// So: those settings dropped, dev dependencies asked for by name, and its output sent to stderr.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const DEV_TOOLS = ['typescript/package.json', 'esbuild/package.json'];
const OUTER_SETTINGS = /^npm_config_(dry_run|json|omit|include|production|only|also|pack_destination|global|prefix)$/i;

if (DEV_TOOLS.some((f) => !existsSync(new URL(`../node_modules/${f}`, import.meta.url)))) {
  console.error('gwsim: no node_modules here (or no dev dependencies); running npm ci before the build');
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (OUTER_SETTINGS.test(k) || k === 'NODE_ENV') delete env[k];
  execFileSync('npm', ['ci', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    env,
    stdio: ['ignore', process.stderr, process.stderr],
  });
}
