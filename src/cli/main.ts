#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { withInstallHint } from '../optional-deps.js';
import { paths } from '../paths.js';
import { StartupError } from '../startup-error.js';
import { UsageError } from './flags.js';
import * as help from './usage.js';
import * as recordHelp from '../record/usage.js';

interface Command {
  summary: string;
  usage: string;
  flags?: string;
  run: (argv: string[]) => Promise<void>;
}

// One line per command. Each is loaded when run: `gwsim serve` never loads Pact, prism or the
// load generator, and `--help` loads none of them.
const commands: Record<string, Command> = {
  serve: {
    summary: 'the simulated gateway (npm start = gwsim serve)',
    usage: help.SERVE_USAGE,
    flags: help.SERVE_FLAGS,
    run: async (argv) => (await import('./serve.js')).serve(argv),
  },
  node: {
    summary: 'one emulated provider node alone, for a real gateway to call',
    usage: help.NODE_USAGE,
    flags: help.NODE_FLAGS,
    run: async (argv) => (await import('./node.js')).node(argv),
  },
  verify: {
    summary: 'verify the Pact contracts against a running gateway or node',
    usage: help.VERIFY_USAGE,
    flags: help.VERIFY_FLAGS,
    run: async (argv) => (await import('./verify.js')).verify(argv),
  },
  conformance: {
    summary: 'a scripted journey through prism proxy in front of a gateway',
    usage: help.CONFORMANCE_USAGE,
    flags: help.CONFORMANCE_FLAGS,
    run: async (argv) => (await import('./conformance.js')).conformance(argv),
  },
  load: {
    summary: 'the load generator, and merging shard reports',
    usage: help.LOAD_USAGE,
    flags: help.LOAD_FLAGS,
    run: async (argv) => (await import('./load.js')).load(argv),
  },
  record: {
    summary: 'a recording proxy in front of a real gateway, writing HAR',
    usage: recordHelp.RECORD_USAGE,
    flags: recordHelp.RECORD_FLAGS,
    run: async (argv) => (await import('./record.js')).record(argv),
  },
  diff: {
    summary: 'replay a recording against a gwsim and compare shapes, timings and prices',
    usage: recordHelp.DIFF_USAGE,
    flags: recordHelp.DIFF_FLAGS,
    run: async (argv) => (await import('./diff.js')).diff(argv),
  },
  calibrate: {
    summary: 'fit a gwsim config to a recording',
    usage: recordHelp.CALIBRATE_USAGE,
    flags: recordHelp.CALIBRATE_FLAGS,
    run: async (argv) => (await import('./calibrate.js')).calibrate(argv),
  },
  bench: {
    summary: 'throughput and memory as ratios against baselines run alongside',
    usage: help.BENCH_USAGE,
    flags: help.BENCH_FLAGS,
    run: async (argv) => (await import('./bench.js')).bench(argv),
  },
};

const USAGE = `gwsim: a simulator and test harness for the API in One image gateway

${Object.values(commands)
  .map((c) => `  ${c.usage}`)
  .join('\n')}
  gwsim --version

'gwsim COMMAND --help' explains a command's flags. 'gwsim serve' (npm start in gwsim's repo)
runs a gateway on http://127.0.0.1:4100 with the key aio_dev_key.`;

const commandHelp = (name: string, c: Command): string =>
  `gwsim ${name}: ${c.summary}\n\n  ${c.usage}\n${c.flags ? `\n${c.flags}\n` : ''}`;

const version = (): string => (JSON.parse(readFileSync(paths.packageJson, 'utf8')) as { version: string }).version;

const isHelp = (arg: string): boolean => arg === '--help' || arg === '-h';

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || isHelp(name) || (name === 'help' && rest.length === 0)) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return;
  }
  const [commandName, args] = name === 'help' ? [rest[0]!, ['--help']] : [name, rest];
  const command = commands[commandName];
  if (!command) throw new UsageError(`unknown command '${commandName}'`);
  // Flags after `--` are the command's to read, not a request for help.
  const own = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (own.some(isHelp)) {
    process.stdout.write(commandHelp(commandName, command));
    return;
  }
  try {
    await command.run(args);
  } catch (err) {
    fail(
      withInstallHint(err, `gwsim ${commandName}`),
      `  ${command.usage}\n\n'gwsim ${commandName} --help' explains every flag.`,
    );
  }
}

const isUsageError = (err: unknown): boolean =>
  err instanceof UsageError || Boolean((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'));

/** Exit 2 with the message; a usage error also shows the usage, an unexpected one its stack. */
function fail(err: unknown, usage = USAGE): never {
  process.stderr.write(`gwsim: ${(err as Error).message}\n${isUsageError(err) ? `\n${usage}\n` : ''}`);
  if (!(err instanceof StartupError) && !isUsageError(err)) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
  process.exit(2);
}

main(process.argv.slice(2)).catch((err: unknown) => fail(err));
