import { parseArgs } from 'node:util';
import { startSimulator } from '../simulator.js';
import { choiceFlag, intFlag, numberFlag } from './flags.js';
import { loadConfig, parseConfig } from '../config/load-config.js';
import { serveWorkers } from './workers.js';

export const SERVE_USAGE = `gwsim serve [--host 127.0.0.1] [--port 4100] [--config FILE] [--seed N]
            [--time-scale X] [--clock real|manual] [--store memory|redis://HOST:PORT/DB] [--workers N]`;

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      config: { type: 'string' },
      seed: { type: 'string' },
      'time-scale': { type: 'string' },
      clock: { type: 'string' },
      store: { type: 'string' },
      workers: { type: 'string' },
    },
  });
  const options = {
    host: values.host,
    port: intFlag('port', values.port, 0, 65535),
    seed: intFlag('seed', values.seed, 0, 2 ** 32 - 1),
    timeScale: numberFlag('time-scale', values['time-scale'], 0),
    clock: choiceFlag('clock', values.clock, ['real', 'manual'] as const),
    store: values.store,
  };
  const workers = intFlag('workers', values.workers, 1, 64);
  if (workers !== undefined) {
    const config = values.config ? loadConfig(values.config) : parseConfig({});
    return serveWorkers(workers, { ...options, config });
  }
  const sim = await startSimulator({ ...options, config: values.config });
  process.stdout.write(`gwsim listening on ${sim.url}\n`);
  const stop = (signal: string) => {
    process.stderr.write(`gwsim: ${signal}, finishing in-flight requests\n`);
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
