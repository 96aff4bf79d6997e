import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { loadCatalog } from '../catalog/load-catalog.js';
import { createClock } from '../clock/clock.js';
import { applyOverrides, loadConfig, parseConfig } from '../config/load-config.js';
import { FaultSet } from '../nodes/faults.js';
import { parseFaultSpec } from '../nodes/fault-spec.js';
import { nodeApp } from '../nodes/node-app.js';
import { NodeEmulator } from '../nodes/node-emulator.js';
import { NodeService } from '../nodes/node-service.js';
import { paths } from '../paths.js';
import { loadSpec } from '../spec/load-spec.js';
import { SpecValidators } from '../spec/validators.js';
import { DEFAULTS } from '../simulator.js';
import { isLoopbackHost } from '../net/hosts.js';
import { answerClientErrors } from '../net/client-errors.js';
import { SIM_FLAGS, simFlags, UsageError } from './flags.js';
import { cliLogger, LOG_FLAGS } from './log-flags.js';
import { counterRequestIds } from '../net/request-ids.js';
import { httpOrigin, listenOn } from '../net/listen-on.js';

/**
 * One provider node alone (openapi/node.yaml), for a real gateway to use instead of a paid
 * provider. Its faults come from the config's timed scenarios; GWSIM_NODE_TOKEN, when set, is
 * required on the job routes.
 */
export async function node(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { id: { type: 'string' }, ...SIM_FLAGS, ...LOG_FLAGS },
  });
  const cli = cliLogger(values);
  const flags = simFlags(values);
  const config = values.config ? loadConfig(values.config) : parseConfig({});
  const catalog = applyOverrides(loadCatalog(), config, values.config);
  const entry = values.id === undefined ? undefined : catalog.nodes.get(values.id);
  if (!entry)
    throw new UsageError(
      `--id must name a node of the catalog (${[...catalog.nodes.keys()].join(', ')}), got '${values.id ?? ''}'`,
    );
  const logger = cli.child({ node: entry.id });
  const clock = createClock(flags.clock ?? config.clock ?? 'real', (err) => logger.error({ err }, 'timer failed'));
  const faults = new FaultSet(clock);
  for (const [i, f] of (config.faults ?? []).entries()) {
    const [spec, field, reason] = parseFaultSpec(f, catalog);
    if (!spec) throw new UsageError(`config faults[${i}].${field}: ${reason}`);
    if (spec.target === entry.id || spec.target.startsWith('model:')) faults.add(spec);
  }
  const emulator = new NodeEmulator({
    node: entry,
    catalog,
    clock,
    faults,
    seed: flags.seed ?? config.seed ?? DEFAULTS.seed,
    timeScale: flags.timeScale ?? config.time_scale ?? DEFAULTS.timeScale,
    capacity: config.nodes?.[entry.id]?.capacity,
    keepFinished: config.retention?.finished_tasks,
  });
  const service = new NodeService(emulator, catalog, new SpecValidators(loadSpec(paths.nodeSpec), 'node'));
  const host = flags.host ?? DEFAULTS.host;
  // Like gwsim's own admin API, the node's fault switch is there only on loopback.
  const server = createServer(
    nodeApp(
      service,
      process.env.GWSIM_NODE_TOKEN || undefined,
      undefined,
      isLoopbackHost(host)
        ? { faults, catalog, clock, reset: async () => (await emulator.reset(), faults.clear()) }
        : undefined,
      { logger, requestLevel: 'info', requestIds: counterRequestIds(`req_${entry.id}_`) },
    ),
  );
  answerClientErrors(server, { body: (_status, detail) => ({ error: { type: 'invalid_request', detail } }) });
  const port = await listenOn(server, flags.port ?? 0, host);
  process.stdout.write(`gwsim node ${entry.id} listening on ${httpOrigin(host, port)}\n`);
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
