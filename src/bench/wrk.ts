import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkResult {
  rps: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx/3xx answers plus socket errors. */
  errors: number;
}

export interface WrkLoad {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** GET: paths to cycle through; POST: one path. */
  paths: string[];
}

const lua = (s: string) => JSON.stringify(s); // a JSON string literal is a valid Lua string literal here

/** The Lua script that makes wrk send `load`. */
function script(load: WrkLoad): string {
  const lines = [`wrk.method = ${lua(load.method)}`];
  for (const [k, v] of Object.entries(load.headers)) lines.push(`wrk.headers[${lua(k)}] = ${lua(v)}`);
  if (load.body !== undefined) lines.push(`wrk.body = ${lua(load.body)}`);
  lines.push(`local paths = { ${load.paths.map(lua).join(', ')} }`, 'local i = 0');
  lines.push('request = function() i = i % #paths + 1; return wrk.format(nil, paths[i]) end');
  return lines.join('\n');
}

const unit = (value: string, u: string): number => Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[u] ?? NaN);

export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p99 = /\s99(?:\.000)?%\s+([\d.]+)(us|ms|s)\b/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!rps || !p99 || !total) throw new Error(`cannot read wrk's output:\n${out}`);
  const socketErrors = sock ? sock.slice(1).reduce((s, n) => s + Number(n), 0) : 0;
  return {
    rps: Number(rps[1]),
    p99Ms: unit(p99[1]!, p99[2]!),
    requests: Number(total[1]),
    errors: Number(non2xx?.[1] ?? 0) + socketErrors,
  };
}

/** Drive `baseUrl` with wrk: one thread, `connections` connections, for `seconds`. */
export async function wrk(baseUrl: string, load: WrkLoad, seconds: number, connections = 32): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'gwsim-wrk-'));
  const file = join(dir, 'load.lua');
  try {
    writeFileSync(file, script(load));
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', file, baseUrl];
    const { stdout } = await run('wrk', args, { timeout: (seconds + 30) * 1000 });
    return parseWrk(stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function haveWrk(): Promise<boolean> {
  try {
    await run('wrk', ['--version']).catch((e: { stdout?: string }) => {
      if (!String(e.stdout ?? '').includes('wrk')) throw e;
    });
    return true;
  } catch {
    return false;
  }
}
