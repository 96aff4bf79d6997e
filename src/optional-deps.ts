import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { paths } from './paths.js';
import { StartupError } from './startup-error.js';

// Pact, Prism and autocannon are optionalDependencies: `npm i gwsim` installs them, and
// `npm i gwsim --omit=optional` leaves ~127 MB out for those who only want the simulator. The
// commands that need them say so, with the install line, instead of a module-resolution trace.

const require = createRequire(import.meta.url);

/** The range gwsim's package.json asks for, so the hint installs a version gwsim works with. */
function wantedRange(pkg: string): string | undefined {
  const manifest = JSON.parse(readFileSync(paths.packageJson, 'utf8')) as Record<
    string,
    Record<string, string> | undefined
  >;
  return manifest.optionalDependencies?.[pkg] ?? manifest.dependencies?.[pkg];
}

/** A package a command needs is not installed. */
export class MissingDependencyError extends StartupError {
  constructor(
    readonly pkg: string,
    what: string,
  ) {
    const range = wantedRange(pkg);
    super(
      `${what} needs ${pkg}, which is not installed${range ? ` (an optional dependency of gwsim): npm i '${pkg}@${range}'` : `: npm i ${pkg}`}`,
    );
  }
}

/**
 * The absolute path of a package's bin script, found by module resolution from gwsim itself
 * (hoisted or nested, in this repo or in an install), so it can be spawned with `node`.
 */
export function binPath(pkg: string, bin: string, what: string): string {
  let manifest: string;
  try {
    manifest = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new MissingDependencyError(pkg, what);
  }
  const bins = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> }).bin;
  const rel = typeof bins === 'string' ? bins : bins?.[bin];
  if (!rel) throw new StartupError(`${pkg} (${manifest}) has no '${bin}' bin`);
  return join(dirname(manifest), rel);
}

/** Prism's CLI, spawned by `conformance` (prism proxy) and `bench` (prism mock). */
export const prismBin = (what: string): string => binPath('@stoplight/prism-cli', 'prism', what);

/**
 * When `err` is Node failing to find one of gwsim's optional dependencies (an `import` of a
 * command that needs it), the same error with the install hint; else `err` itself.
 */
export function withInstallHint(err: unknown, what: string): unknown {
  const e = err as { code?: string; message?: string };
  if (e.code !== 'ERR_MODULE_NOT_FOUND') return err;
  const pkg = /Cannot find package '([^']+)'/.exec(e.message ?? '')?.[1];
  return pkg !== undefined && wantedRange(pkg) !== undefined ? new MissingDependencyError(pkg, what) : err;
}
