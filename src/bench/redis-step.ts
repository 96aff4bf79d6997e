import { submitAndPollPaired, type Paired, type SideNames } from './paired.js';
import { serveGwsim, submitMany, type Run } from './plan.js';
import { freePort, startChild, type Child } from './processes.js';

const NAMES: SideNames = { bare: 'gwsim memory store', gwsim: 'gwsim redis store' };

/**
 * gwsim on a Redis store (a redis-server of its own on a free port) beside gwsim on the memory
 * store, both up, in alternating rounds as submit/bare is measured: submits, then polls of tasks
 * each holds in flight. A ratio of one run to another minutes apart moved with the machine.
 */
export async function redisVsMemory(run: Run, config: string): Promise<{ submit: Paired; poll: Paired } | undefined> {
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
  const started: Child[] = [];
  try {
    const memory = await serveGwsim(run, config, [], 'memory-store');
    started.push(memory);
    const onRedis = await serveGwsim(run, config, ['--store', `redis://127.0.0.1:${port}/0`], 'redis-store');
    started.push(onRedis);
    const tasksOf = (child: Child) => () => submitMany(child.url, run.plan.pollTasks);
    return await submitAndPollPaired(
      run,
      { child: memory, pollIds: tasksOf(memory) },
      { child: onRedis, pollIds: tasksOf(onRedis) },
      NAMES,
    );
  } finally {
    for (const child of started) await child.stop();
    await redis.stop();
  }
}
