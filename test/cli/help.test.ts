import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, collect, exited, ROOT, run, within } from '../helpers/cli.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

// Each command with a flag its help must explain.
const COMMANDS: Array<[string, string]> = [
  ['serve', '--time-scale'],
  ['node', '--id'],
  ['verify', '--provider-base-url'],
  ['conformance', '--target'],
  ['load', '--threshold'],
  ['bench', '--quick'],
  ['record', '--webhook-listen'],
  ['diff', '--ignore'],
  ['calibrate', '--min-samples'],
];

/** The flags a help's synopsis names (its `  gwsim …` lines and their continuations), and those a line of its own explains. */
function flagsOf(help: string): { named: Set<string>; explained: Set<string> } {
  const named = new Set<string>();
  const explained = new Set<string>();
  let inSynopsis = false;
  for (const line of help.split('\n')) {
    inSynopsis = /^  gwsim /.test(line) || (inSynopsis && /^ {10,}\[/.test(line));
    const flags = (text: string) => text.match(/--[a-z][a-z-]*/g) ?? [];
    if (inSynopsis) for (const f of flags(line)) named.add(f);
    else if (/^ {2}-/.test(line)) for (const f of flags(line.trim().split(/\s{2,}/)[0]!)) explained.add(f);
  }
  return { named, explained };
}

describe('gwsim COMMAND --help', () => {
  it.each(COMMANDS)('gwsim %s --help prints that command’s usage and flags, exit 0', async (name, flag) => {
    const { code, stdout, stderr } = await run([name, '--help']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^gwsim ${name}: `));
    expect(stdout).toContain(`gwsim ${name} `);
    expect(stdout).toContain(flag);
    // Every flag of the synopsis is explained on a line of its own.
    const { named, explained } = flagsOf(stdout);
    expect(named.size).toBeGreaterThan(0);
    expect([...named].filter((f) => !explained.has(f))).toEqual([]);
    // Not the global usage: no other command's synopsis.
    for (const [other] of COMMANDS) if (other !== name) expect(stdout).not.toContain(`  gwsim ${other} `);
  });

  it('takes -h, help COMMAND, and --help among other flags; never runs the command', async () => {
    for (const args of [
      ['serve', '-h'],
      ['help', 'serve'],
      ['serve', '--port', '0', '--help'],
    ]) {
      const { code, stdout } = await run(args);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^gwsim serve: /);
      expect(stdout).not.toMatch(/listening on http:\/\/127/);
    }
    const merge = await run(['load', 'merge', '--help']);
    expect(merge.code).toBe(0);
    expect(merge.stdout).toContain('gwsim load merge');
  });

  it('a bad flag shows that command’s usage, not every command’s', async () => {
    const { code, stderr } = await run(['conformance', '--bogus']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^gwsim: .*--bogus/);
    expect(stderr).toContain('gwsim conformance --target URL');
    expect(stderr).toContain("'gwsim conformance --help'");
    expect(stderr).not.toContain('gwsim serve');
  });
});

// A module loader hook that reports every package module loaded, so a test can see what help costs.
const HOOK = `export async function load(url, context, next) { if (url.includes('/node_modules/')) process._rawDebug('loaded ' + url); return next(url, context); }`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`;

describe('help is cheap', () => {
  it.each([[['--help']], [['serve', '--help']], [['verify', '--help']], [['--version']]])(
    'gwsim %j loads no package at all',
    async (args) => {
      const child = spawn(
        process.execPath,
        [`--import=data:text/javascript,${encodeURIComponent(REGISTER)}`, join(ROOT, 'dist/cli/main.js'), ...args],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const stderr = collect(child.stderr);
      const { code } = await within(exited(child), 'gwsim to exit');
      expect(code).toBe(0);
      expect(stderr()).toBe('');
    },
  );
});

// The bundled bin inlines its dependencies, so the hook above cannot see them: its esbuild
// metafile says which inputs each chunk holds, and help must load no chunk holding a package.
interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}
const BUNDLE_HOOK = `export async function load(url, context, next) { if (url.startsWith('file:')) process._rawDebug('loaded ' + url); return next(url, context); }`;
const BUNDLE_REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(BUNDLE_HOOK)}`)});`;

describe('help is cheap in the bundled bin', () => {
  const meta = JSON.parse(readFileSync(join(ROOT, 'dist/gwsim.meta.json'), 'utf8')) as Metafile;
  const withPackages = new Set(
    Object.entries(meta.outputs)
      .filter(([, o]) => Object.keys(o.inputs).some((i) => i.includes('node_modules/')))
      .map(([out]) => join(ROOT, out)),
  );

  it('the bundle does hold packages (so the check below can fail)', () => {
    expect(withPackages.size).toBeGreaterThan(0);
  });

  it.each([[['--help']], [['serve', '--help']], [['--version']]])(
    'gwsim %j loads no chunk that holds a package',
    async (args) => {
      const child = spawn(
        process.execPath,
        [`--import=data:text/javascript,${encodeURIComponent(BUNDLE_REGISTER)}`, BIN, ...args],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const stderr = collect(child.stderr);
      const { code } = await within(exited(child), 'gwsim to exit');
      expect(code).toBe(0);
      const loaded = stderr()
        .split('\n')
        .filter((l) => l.startsWith('loaded file://'))
        .map((l) => new URL(l.slice('loaded '.length)).pathname);
      expect(loaded).toContain(BIN);
      expect(loaded.filter((f) => withPackages.has(f))).toEqual([]);
    },
  );
});

describe('gwsim --version', () => {
  it.each([['--version'], ['-v']])('%s prints the version from package.json, exit 0', async (flag) => {
    const { code, stdout, stderr } = await run([flag]);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('the global usage names it and points at per-command help', async () => {
    const { stdout } = await run(['--help']);
    expect(stdout).toContain('gwsim --version');
    expect(stdout).toContain("'gwsim COMMAND --help'");
    for (const [name] of COMMANDS) expect(stdout).toContain(`  gwsim ${name} `);
  });
});
