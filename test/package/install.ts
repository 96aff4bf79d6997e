import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/cli.js';

const exec = promisify(execFile);

// What npm run from `npm test` must not inherit: npm_config_local_prefix alone would install
// into this repository. Only the user's own npm settings (cache, registry, proxy, CA) go through.
const KEEP = /^npm_config_(cache|userconfig|globalconfig|registry|cafile|proxy|https_proxy|noproxy)$/i;
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env))
    if ((/^npm_/i.test(k) && !KEEP.test(k)) || k === 'INIT_CWD' || k.startsWith('GWSIM_')) delete env[k];
  return env;
}

export interface Packed {
  tarball: string;
  /** Bytes of the .tgz, and unpacked. */
  size: number;
  unpackedSize: number;
  files: string[];
}

/** `npm pack` this repository into `dir` (dist/ is already built by the global setup). */
export async function pack(dir: string): Promise<Packed> {
  const { stdout } = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    env: cleanEnv(),
    timeout: 60_000,
  });
  const [info] = JSON.parse(stdout) as Array<{
    filename: string;
    size: number;
    unpackedSize: number;
    files: Array<{ path: string }>;
  }>;
  return {
    tarball: join(dir, info!.filename),
    size: info!.size,
    unpackedSize: info!.unpackedSize,
    files: info!.files.map((f) => f.path),
  };
}

/**
 * An empty ESM project in `dir` with the tarball installed, from the npm cache: `--offline`
 * first, `--prefer-offline` when the cache lacks package metadata (a fresh machine's `npm ci`
 * caches tarballs only). Returns how it went and how long it took.
 */
export async function installInto(
  dir: string,
  tarball: string,
  timeoutMs: number,
): Promise<{ mode: string; ms: number }> {
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'gwsim-installed-test', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  const t0 = performance.now();
  let lastError: unknown;
  for (const mode of ['--offline', '--prefer-offline']) {
    try {
      await exec('npm', ['install', mode, '--no-audit', '--no-fund', '--loglevel=error', tarball], {
        cwd: dir,
        env: cleanEnv(),
        timeout: timeoutMs,
      });
      return { mode, ms: performance.now() - t0 };
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`npm install ${tarball} failed: ${(lastError as { stderr?: string }).stderr ?? String(lastError)}`);
}
