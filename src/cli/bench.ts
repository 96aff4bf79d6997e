import { parseArgs } from 'node:util';
import { compareTable, readChecks } from '../bench/compare.js';
import { haveWrk } from '../bench/wrk.js';
import { runBench } from '../bench/run-bench.js';
import { prismBin } from '../optional-deps.js';
import { StartupError } from '../startup-error.js';
import { UsageError } from './flags.js';

/** `gwsim bench [--json FILE] [--quick] [--profile DIR]`, or `--compare BEFORE AFTER`: the steps live in src/bench/. */
export async function bench(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      json: { type: 'string' },
      quick: { type: 'boolean' },
      profile: { type: 'string' },
      compare: { type: 'boolean' },
    },
  });
  if (values.compare) {
    const [before, after, ...rest] = positionals;
    if (before === undefined || after === undefined || rest.length > 0)
      throw new UsageError('--compare takes two files: gwsim bench --compare BEFORE.json AFTER.json');
    process.stdout.write(compareTable(readChecks(before), readChecks(after)));
    return;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
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
