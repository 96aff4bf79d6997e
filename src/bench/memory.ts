import { existsSync, readFileSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { probeFile } from './probe-file.js';
import { CLI, LISTENING, submitMany } from './plan.js';
import { freePort, rssBytes, startChild, type Child } from './processes.js';

const PROBE = pathToFileURL(new URL('./heap-probe.js', import.meta.url).pathname).href;

/** What a gwsim process holds with `tasks` tasks in flight, against the same process before them. */
export interface InFlightMemory {
  tasks: number;
  rssBeforeBytes: number;
  /** RSS as the submits leave it (garbage not yet collected included): what a user's `top` shows. */
  rssBytes: number;
  /** V8 heap in use after a full collection, before and after the submits. */
  heapBeforeBytes: number;
  heapBytes: number;
  /** (heapBytes − heapBeforeBytes) ÷ tasks: the live objects one in-flight task costs. */
  heapPerTaskBytes: number;
  submitSeconds: number;
}

interface ProbeReading {
  heapUsed: number;
  rss: number;
  collected: boolean;
}

/** Ask the probe for a reading (SIGUSR2) and wait, bounded, for its file. */
async function probe(child: Child, file: string): Promise<ProbeReading> {
  rmSync(file, { force: true });
  child.proc.kill('SIGUSR2');
  for (let waited = 0; waited < 30_000; waited += 20) {
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as ProbeReading;
      } catch {
        // Half written: read it again on the next turn.
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the heap probe did not answer within 30 s');
}

/**
 * `gwsim serve` on the real clock at time scale 1 (so tasks stay in flight: an imagen4 job runs
 * for seconds and its node's queue holds the rest), `tasks` submits, then RSS and the heap after
 * a full collection. A warm-up of 200 submits comes before the first reading, so the figures per
 * task leave out code compiled and caches filled once.
 */
export async function inFlightMemory(config: string, tasks: number): Promise<InFlightMemory> {
  const child = await startChild(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      PROBE,
      CLI,
      'serve',
      '--port',
      String(await freePort()),
      '--config',
      config,
      '--log-level',
      'warn',
    ],
    LISTENING,
  );
  const pid = child.proc.pid ?? NaN;
  const file = probeFile(pid);
  try {
    await submitMany(child.url, 200);
    const before = await probe(child, file);
    const rssBeforeBytes = rssBytes(pid);
    const t0 = performance.now();
    await submitMany(child.url, tasks);
    const submitSeconds = (performance.now() - t0) / 1000;
    const rss = rssBytes(pid);
    const after = await probe(child, file);
    if (!after.collected) throw new Error('the heap probe ran without --expose-gc');
    return {
      tasks,
      rssBeforeBytes,
      rssBytes: rss,
      heapBeforeBytes: before.heapUsed,
      heapBytes: after.heapUsed,
      heapPerTaskBytes: (after.heapUsed - before.heapUsed) / tasks,
      submitSeconds,
    };
  } finally {
    await child.stop();
    rmSync(file, { force: true });
  }
}
