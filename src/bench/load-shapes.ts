import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyConfig } from '../config/config-schema.js';
import type { WrkLoad } from './wrk.js';

/** What every bench step sends: one key that never runs out, one imagen4 submit. */
export const BENCH_KEY = 'aio_bench';
export const SUBMIT_BODY = JSON.stringify({
  model: 'imagen4',
  prompt: 'A photorealistic bowl of ramen with steam rising',
  aspect_ratio: '1:1',
});
export const HEADERS = { 'Content-Type': 'application/json', Authorization: `Bearer ${BENCH_KEY}` };
export const SUBMIT_PATH = '/api/v1/images/generations';

export const submitLoad: WrkLoad = { method: 'POST', headers: HEADERS, body: SUBMIT_BODY, paths: [SUBMIT_PATH] };
export const pollLoad = (ids: readonly string[]): WrkLoad => ({
  method: 'GET',
  headers: HEADERS,
  paths: ids.map((id) => `/api/v1/tasks/${id}`),
});

/** The bench key: credits and a rate limit it never meets. */
export const benchKeys = (): KeyConfig[] => [
  { key: BENCH_KEY, credits: 1e12, rate_limit: { requests: 1e9, window_s: 1 } },
];

/** A config file for `gwsim serve` with the bench key. */
export function benchConfig(transport: 'in-process' | 'http'): string {
  const dir = mkdtempSync(join(tmpdir(), 'gwsim-bench-'));
  const file = join(dir, `bench.${transport}.yaml`);
  writeFileSync(file, `node_transport: ${transport}\nkeys: ${JSON.stringify(benchKeys())}\n`);
  // The servers read it while the bench runs; nothing of it is left in tmp afterwards.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return file;
}
