import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { prismBin } from '../optional-deps.js';

export interface Child {
  proc: ChildProcess;
  url: string;
  /** Milliseconds from spawn to the ready line. */
  readyMs: number;
  stop(): Promise<void>;
}

/** Start a server process and wait for a stdout line matching `ready` (its first group: the URL). */
export function startChild(
  cmd: string,
  args: string[],
  ready: RegExp,
  timeoutMs = 30_000,
  /** The child's environment (default: this process's, inherited). */
  env?: NodeJS.ProcessEnv,
): Promise<Child> {
  const t0 = performance.now();
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${cmd} not ready after ${timeoutMs} ms:\n${out}${err}`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(e);
    };
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('exit', (code) => fail(new Error(`${cmd} exited with ${code} before it was ready:\n${out}${err}`)));
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      proc.stdout.removeAllListeners('data');
      proc.stdout.resume();
      resolve({ proc, url: m[1]!, readyMs: performance.now() - t0, stop: () => stopChild(proc) });
    });
  });
}

export function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Resident set size of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** `prism mock|proxy …` on a free loopback port; `what` names the command that needs Prism. */
export async function startPrism(args: string[], what: string): Promise<Child> {
  const bin = prismBin(what);
  return startChild(
    process.execPath,
    [bin, ...args, '--port', String(await freePort()), '--host', '127.0.0.1'],
    /Prism is listening on (http:\/\/[\d.:]+)/,
    60_000,
  );
}
