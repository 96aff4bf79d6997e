import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';

// Runs the built CLI (test/global-setup.ts builds dist/ first) from the repository root.
export const ROOT = new URL('../../', import.meta.url).pathname;
/** The `gwsim` bin as package.json names it: the bundled CLI, as users run it. */
export const BIN = join(
  ROOT,
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { gwsim: string } }).bin.gwsim,
);
/** The longest any wait on a child process may take. */
export const CHILD_LIMIT_MS = 15_000;

const children: ChildProcess[] = [];
// Every test file that imports this stops the processes it started (by PID), pass or fail.
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, 'SIGKILL');
  }
});

/** Spawn `gwsim …` without the caller's admin or node tokens (`extraEnv` may give some). */
export function gwsim(args: string[], extraEnv: Record<string, string> = {}): ChildProcess {
  const env = { ...process.env };
  delete env.GWSIM_NODE_TOKEN;
  delete env.GWSIM_ADMIN_TOKEN;
  Object.assign(env, extraEnv);
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

export function within<T>(promise: Promise<T>, what: string, ms = CHILD_LIMIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

export function collect(stream: NodeJS.ReadableStream | null): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => (text += chunk));
  return () => text;
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Run gwsim to its end: exit code and everything it printed. */
export async function run(
  args: string[],
  ms = CHILD_LIMIT_MS,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = gwsim(args);
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const { code } = await within(exited(child), `gwsim ${args.join(' ')} to exit`, ms);
  return { code, stdout: stdout(), stderr: stderr() };
}

/** Start a long-running gwsim command and wait for its first stdout line (its ready line). */
export async function startGwsim(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ child: ChildProcess; firstLine: string; stderr: () => string; stdout: () => string }> {
  const child = gwsim(args, extraEnv);
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const lines = createInterface({ input: child.stdout! }); // reads alongside collect(): both see every chunk
  const firstLine = await within(
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) =>
        reject(new Error(`gwsim ${args[0]} exited with ${code} before it was ready: ${stderr()}`)),
      );
    }),
    'the ready line',
  );
  return { child, firstLine, stderr, stdout };
}
