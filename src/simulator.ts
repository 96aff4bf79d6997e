import { AdminService, DEFAULT_RATE_LIMIT, DEV_CREDITS, DEV_KEY } from './admin/admin-service.js';
import { createClock } from './clock/clock.js';
import type { ConfigFile, KeyConfig } from './config/config-schema.js';
import { LiveEvents, type LiveDeps } from './events/live-events.js';
import { ObservedStore } from './events/observed-store.js';
import { RequestValidator } from './gateway/request-validation.js';
import { GatewayService } from './gateway/service.js';
import { ImageCache } from './images/image-cache.js';
import { Metrics } from './metrics/metrics.js';
import { SelfTargets } from './net/self-targets.js';
import { FaultSet } from './nodes/faults.js';
import { NodeFleet } from './nodes/node-fleet.js';
import { paths } from './paths.js';
import { loadSpec } from './spec/load-spec.js';
import { SpecValidators } from './spec/validators.js';
import { openStore } from './store/open-store.js';
import { httpApp } from './wiring/http-app.js';
import { listen } from './wiring/listen.js';
import type { Simulator, SimulatorCore, SimulatorOptions } from './wiring/simulator-types.js';
import { DEFAULTS, resolveSettings } from './wiring/settings.js';
import { openSteps } from './wiring/steps.js';
import { wireTasks } from './wiring/tasks.js';
import { isStoreUnavailable } from './store/store-errors.js';
import { GenerationWatch } from './store/generation-watch.js';
import { shareState } from './routing/shared-state.js';
import { consoleLogger, type Logger } from './log/logger.js';
import { taskTransitionLog } from './log/task-log.js';
import type { TaskTransition } from './tasks/orchestrator.js';
import { seededRequestIds } from './net/request-ids.js';
import { randomBytes } from 'node:crypto';
import { Reconciler } from './tasks/reconciler.js';

export { DEFAULTS };
export type { Simulator, SimulatorCore, SimulatorOptions };

const IMAGE_CACHE_BYTES = 64 * 1024 * 1024;
/** How often an instance on a shared store reads its generation marker (a restarted, empty Redis). */
const GENERATION_CHECK_MS = 1_000;
/** How often an instance on a shared store reads the shared faults and circuits (one small read each). */
const SHARED_STATE_MS = 100;
/** How often an instance on a shared store tries a reconciler pass (`steps.reconcile_ms`). */
const DEFAULT_RECONCILE_MS = 5_000;

/**
 * The log's transition line, then the caller's own hook; none when the log is below debug and
 * there is no hook, so the orchestrator builds no transition for nobody.
 */
function transitionsTo(
  logger: Logger,
  own: ((t: TaskTransition) => void) | undefined,
): ((t: TaskTransition) => void) | undefined {
  if (!logger.isLevelEnabled('debug')) return own;
  const log = taskTransitionLog(logger);
  return (t) => {
    log(t);
    own?.(t);
  };
}

function startKeys(config: ConfigFile): KeyConfig[] {
  const keys = config.keys ?? [];
  return keys.some((k) => k.key === DEV_KEY) ? keys : [{ key: DEV_KEY, credits: DEV_CREDITS }, ...keys];
}

/** Everything a simulator is made of, wired once; `app()` is a request listener that never listens. */
export async function createSimulator(options: SimulatorOptions = {}): Promise<SimulatorCore> {
  const settings = resolveSettings(options);
  const { config, seed, timeScale, catalog, spec, sharedStore } = settings;
  const logger = options.logger ?? consoleLogger();
  const clock = createClock(settings.clockMode, (err) => logger.error({ err }, 'timer failed'));
  // Open dashboards see changes through the store; it reads the parts named here once a page opens.
  const live: LiveEvents = new LiveEvents((): LiveDeps => ({
    catalog,
    clock,
    store: store.inner,
    faults,
    emulators: fleet.emulators,
    circuit: (node) => taskParts.breaker.state(node),
    logger,
  }));
  const store: ObservedStore = new ObservedStore(
    await openStore(
      settings.storeUrl,
      {},
      { freezeTasks: options.validateResponses === true, keepFinished: config.retention?.finished_tasks },
    ),
    live,
  );
  const steps = openSteps(store, clock, config, sharedStore, logger);
  const images = new ImageCache(IMAGE_CACHE_BYTES);
  // Faults are shared on a shared store: their ids carry the instance, so two never clash.
  const faults = new FaultSet(clock, sharedStore ? `flt_${randomBytes(3).toString('hex')}_` : undefined);
  const fleet = await NodeFleet.start({
    catalog,
    clock,
    faults,
    seed,
    timeScale,
    config,
    validators: new SpecValidators(loadSpec(paths.nodeSpec), 'node'),
    transport: options.nodeTransport ?? config.node_transport ?? 'in-process',
    timeoutMs: settings.routing.nodeTimeoutMs,
    logger,
    // On a shared store every instance reads and writes the same job books: any instance answers for any job.
    book: store.inner.jobBook?.bind(store.inner),
  });
  const metrics = new Metrics({
    queueDepth: () => fleet.queueDepth(),
    running: () => fleet.running(),
    creditsHeld: async () => (await store.listKeys()).reduce((sum, k) => sum + k.held, 0),
  });
  const self = new SelfTargets();
  for (const url of Object.values(fleet.urls())) self.add(url);
  const webhooks = config.webhooks ?? {};
  let publicUrl = `http://${DEFAULTS.host}:${DEFAULTS.port}`;
  const taskParts = wireTasks({
    settings,
    clock,
    store,
    steps,
    faults,
    metrics,
    clients: fleet.clients,
    publicUrl: () => publicUrl,
    logger,
    onTransition: transitionsTo(logger, options.onTaskTransition),
  });
  const { tasks, deliverer } = taskParts;
  const service = new GatewayService({
    catalog,
    store,
    clock,
    tasks,
    requests: new RequestValidator(catalog, settings.validators),
    allowHosts: webhooks.allow_hosts ?? [],
    faults,
    self,
    onUnknownKey: () => generations?.nudge(),
  });
  const admin = new AdminService({
    catalog,
    store,
    clock,
    seed,
    instanceSalt: settings.instanceSalt,
    faults,
    metrics,
    webhooks: deliverer,
    lifecycle: tasks,
    allowHosts: webhooks.allow_hosts ?? [],
    keys: startKeys(config),
    rateLimit: config.rate_limit ?? DEFAULT_RATE_LIMIT,
    timeScale,
    onReset: async () => {
      steps.reset();
      deliverer.reset();
      tasks.reset();
      taskParts.breaker.reset();
      await fleet.reset();
      images.clear();
      metrics.reset();
      taskParts.resetCircuitGauges();
      for (const f of settings.startFaults) faults.add(f, { share: false });
    },
  });
  // A shared store holds other instances' state: join it rather than wipe it. Should it start
  // empty later (a Redis restarted without persistence), the watch seeds this instance's keys again.
  let generations: GenerationWatch | undefined;
  let stopSharing: (() => void) | undefined;
  let reconciler: Reconciler | undefined;
  if (sharedStore) {
    reconciler = new Reconciler(store, clock, tasks, {
      everyMs: config.steps?.reconcile_ms ?? DEFAULT_RECONCILE_MS,
      batch: 100,
      onError: (err) => {
        if (!isStoreUnavailable(err)) logger.error({ err }, 'reconciling tasks and holds failed');
      },
    });
    reconciler.start();
    for (const f of settings.startFaults) faults.add(f, { share: false });
    await admin.ensureKeys();
    generations = new GenerationWatch(store, {
      everyMs: GENERATION_CHECK_MS,
      reseed: () => admin.ensureKeys(),
    });
    await generations.start();
    stopSharing = shareState({
      store,
      faults,
      breaker: taskParts.breaker,
      nodes: [...catalog.nodes.keys()],
      everyMs: SHARED_STATE_MS,
      // A store that is away is reported by the steps already; anything else is a bug to show.
      onError: (err) => {
        if (!isStoreUnavailable(err)) logger.error({ err }, 'sharing faults and circuits failed');
      },
    });
  } else await admin.reset();
  const appDeps = {
    spec,
    validators: settings.validators,
    service,
    admin,
    store,
    images,
    metrics,
    live,
    emulators: fleet.emulators,
    adminApi: options.admin !== false,
    validateResponses: options.validateResponses === true,
    renameResponseField: options.renameResponseField,
    requestIds: options.requestIds ?? seededRequestIds(seed, sharedStore ? randomBytes(4).readUInt32BE(0) : 0),
    logger,
  };
  return {
    config,
    seed,
    timeScale,
    clock,
    catalog,
    store,
    service,
    admin,
    metrics,
    app: (adminToken) => httpApp(appDeps, adminToken),
    listening: (url, host, port) => {
      publicUrl = url;
      self.listening(host, port);
    },
    closeLiveStreams: () => live.close(),
    abandonWaiters: () => tasks.abandonWaiters(),
    close: async () => {
      generations?.close();
      stopSharing?.();
      reconciler?.close();
      live.close();
      tasks.reset();
      await steps.close();
      clock.close();
      await fleet.close();
      await store.close();
    },
  };
}

/** Start a simulator listening on HTTP; `{ port: 0 }` picks a free port. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return listen(options, createSimulator);
}
