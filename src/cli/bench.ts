import { parseArgs } from 'node:util';
import { haveWrk } from '../bench/wrk.js';
import { runBench } from '../bench/run-bench.js';
import { prismBin } from '../optional-deps.js';
import { StartupError } from '../startup-error.js';

/** `gwsim bench [--json FILE] [--quick] [--profile DIR]`: the steps live in src/bench/. */
export async function bench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { json: { type: 'string' }, quick: { type: 'boolean' }, profile: { type: 'string' } },
  });
  // Everything it needs, checked before anything runs.
  if (!(await haveWrk())) throw new StartupError('gwsim bench needs wrk: apt-get install -y wrk');
  prismBin('gwsim bench');
  const { default: autocannon } = await import('autocannon');
  const seconds = process.env.GWSIM_BENCH_SECONDS;
  await runBench({
    quick: values.quick === true,
    json: values.json,
    profile: values.profile,
    autocannon,
    ...(seconds ? { seconds: Number(seconds) } : {}),
  });
}
