import { parseArgs } from 'node:util';
import { startSimulator } from '../simulator.js';
import { intFlag, SIM_FLAGS, simFlags } from './flags.js';
import { loadConfig, parseConfig } from '../config/load-config.js';
import { serveWorkers } from './workers.js';
import { cliLogger, LOG_FLAGS } from './log-flags.js';

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...SIM_FLAGS,
      ...LOG_FLAGS,
      store: { type: 'string' },
      workers: { type: 'string' },
      'no-admin': { type: 'boolean' },
    },
  });
  const logger = cliLogger(values);
  const options = {
    ...simFlags(values),
    logger,
    store: values.store,
    // The library reads no environment: the CLI is where GWSIM_ADMIN_TOKEN comes in.
    adminToken: process.env.GWSIM_ADMIN_TOKEN,
    ...(values['no-admin'] ? { admin: false } : {}),
  };
  const workers = intFlag('workers', values.workers, 1, 64);
  if (workers !== undefined) {
    const config = values.config ? loadConfig(values.config) : parseConfig({});
    return serveWorkers(workers, { ...options, config });
  }
  const sim = await startSimulator({ ...options, config: values.config });
  process.stdout.write(`gwsim listening on ${sim.url}\n`);
  const stop = (signal: string) => {
    logger.info({ signal }, `${signal}, finishing in-flight requests`);
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
