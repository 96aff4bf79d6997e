import cluster, { type Worker } from 'node:cluster';
import { loadCatalog } from '../catalog/load-catalog.js';
import { createClock } from '../clock/clock.js';
import type { ConfigFile } from '../config/config-schema.js';
import { applyOverrides } from '../config/load-config.js';
import { FaultSet } from '../nodes/faults.js';
import { NodeFleet } from '../nodes/node-fleet.js';
import { paths } from '../paths.js';
import { startSimulator, type SimulatorOptions } from '../simulator.js';
import { loadSpec } from '../spec/load-spec.js';
import { SpecValidators } from '../spec/validators.js';
import { UsageError } from './flags.js';
import { consoleLogger } from '../log/logger.js';

const NODE_URLS = 'GWSIM_WORKER_NODE_URLS';

/** The config a worker runs with: the user's, every emulated node reached at the primary's URL. */
function workerConfig(config: ConfigFile): ConfigFile {
  const urls = JSON.parse(process.env[NODE_URLS] ?? '{}') as Record<string, string>;
  const nodes = { ...config.nodes };
  for (const [id, url] of Object.entries(urls)) nodes[id] = { ...nodes[id], url };
  return { ...config, nodes };
}

/**
 * `gwsim serve --workers N`: N processes (node:cluster) sharing one port and the Redis store.
 * The primary hosts the emulated nodes over HTTP, since a task's next step may run in any
 * worker; workers that die are replaced; SIGINT/SIGTERM stop them all gracefully.
 */
export async function serveWorkers(n: number, options: SimulatorOptions & { config: ConfigFile }): Promise<void> {
  if (!cluster.isPrimary) {
    const sim = await startSimulator({ ...options, config: workerConfig(options.config) });
    process.send?.({ ready: sim.url });
    const stop = () => void sim.close().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return;
  }
  if (!options.store || !/^rediss?:\/\//.test(options.store)) {
    throw new UsageError(
      '--workers needs a shared store: add --store redis://HOST:PORT/DB (the memory store lives in one process)',
    );
  }
  const config = options.config;
  const logger = options.logger ?? consoleLogger('info');
  const clock = createClock('real', (err) => logger.error({ err }, 'node timer failed'));
  const catalog = applyOverrides(loadCatalog(), config);
  const fleet = await NodeFleet.start({
    catalog,
    clock,
    faults: new FaultSet(clock),
    seed: options.seed ?? config.seed ?? 1,
    timeScale: options.timeScale ?? config.time_scale ?? 1,
    config,
    validators: new SpecValidators(loadSpec(paths.nodeSpec), 'node'),
    transport: 'http',
    timeoutMs: 10_000,
  });
  const env = { [NODE_URLS]: JSON.stringify(fleet.urls()) };
  let stopping = false;
  const fork = (): Worker => {
    const w = cluster.fork(env);
    w.on('exit', (code, signal) => {
      if (stopping) return;
      logger.warn({ worker: w.process.pid, exit: signal ?? code }, `worker ${w.process.pid} exited; starting another`);
      fork();
    });
    return w;
  };
  const urls = await Promise.all(
    Array.from({ length: n }, () => {
      const w = fork();
      return new Promise<string>((resolve) => w.on('message', (m: { ready?: string }) => m.ready && resolve(m.ready)));
    }),
  );
  process.stdout.write(`gwsim listening on ${urls[0]}\n`);
  const stop = (signal: string) => {
    stopping = true;
    logger.info({ signal }, `${signal}, stopping ${n} workers`);
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    void Promise.all(workers.map((w) => new Promise((r) => (w.once('exit', r), w.kill('SIGTERM'))))).then(async () => {
      await fleet.close();
      clock.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
