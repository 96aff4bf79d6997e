#!/usr/bin/env node
import { CatalogError } from '../catalog/load-catalog.js';
import { ConfigError } from '../config/load-config.js';
import { UsageError } from './flags.js';
import { StartupError } from '../startup-error.js';
import { CONFORMANCE_USAGE, LOAD_USAGE, NODE_USAGE, SERVE_USAGE, VERIFY_USAGE } from './usage.js';
import { CALIBRATE_USAGE, DIFF_USAGE, RECORD_USAGE } from '../record/usage.js';

const USAGE = `gwsim: a simulator and test harness for the API in One image gateway

  ${SERVE_USAGE}
  ${NODE_USAGE}
  ${VERIFY_USAGE}
  ${CONFORMANCE_USAGE}
  ${LOAD_USAGE}
  ${RECORD_USAGE}
  ${DIFF_USAGE}
  ${CALIBRATE_USAGE}
  gwsim bench [--json FILE]

Run 'npm start' for a gateway on http://127.0.0.1:4100 with the key aio_dev_key.`;

// Each command is loaded when run: `gwsim serve` never loads Pact, prism or the load generator.
const commands: Record<string, (argv: string[]) => Promise<void>> = {
  serve: async (argv) => (await import('./serve.js')).serve(argv),
  node: async (argv) => (await import('./node.js')).node(argv),
  verify: async (argv) => (await import('./verify.js')).verify(argv),
  conformance: async (argv) => (await import('./conformance.js')).conformance(argv),
  bench: async (argv) => (await import('./bench.js')).bench(argv),
  load: async (argv) => (await import('./load.js')).load(argv),
  record: async (argv) => (await import('./record.js')).record(argv),
  diff: async (argv) => (await import('./diff.js')).diff(argv),
  calibrate: async (argv) => (await import('./calibrate.js')).calibrate(argv),
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  await command(rest);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const known = err instanceof StartupError || err instanceof ConfigError || err instanceof CatalogError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  process.stderr.write(`gwsim: ${(err as Error).message}\n${err instanceof UsageError ? `\n${USAGE}\n` : ''}`);
  if (!known) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
  process.exit(2);
});
