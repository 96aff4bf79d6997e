import { benchConfig } from './load-shapes.js';
import { submitAndPoll, type Run } from './plan.js';
import { freePort, startChild, type Child } from './processes.js';
import type { WrkResult } from './wrk.js';

/** gwsim on a Redis store (a redis-server of its own on a free port): submit and poll as ratios to memory. */
export async function redisVsMemory(
  run: Run,
  memSubmit: WrkResult,
  memPoll: WrkResult,
): Promise<{ submit: number; poll: number } | undefined> {
  const port = await freePort();
  let redis: Child;
  try {
    redis = await startChild(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      /(Ready to accept connections)/,
      10_000,
    );
  } catch {
    process.stderr.write('  (no redis-server on PATH: the Redis rows are skipped; apt-get install -y redis-server)\n');
    return undefined;
  }
  try {
    const { submit, poll } = await submitAndPoll(run, 'gwsim redis store', benchConfig('in-process'), [
      '--store',
      `redis://127.0.0.1:${port}/0`,
    ]);
    return { submit: submit.rps / memSubmit.rps, poll: poll.rps / memPoll.rps };
  } finally {
    await redis.stop();
  }
}
