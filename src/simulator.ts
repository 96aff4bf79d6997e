import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import { adminRouter } from './admin/admin-routes.js';
import { dashboardRouter } from './admin/dashboard-routes.js';
import { LiveEvents, type LiveDeps } from './events/live-events.js';
import { ObservedStore } from './events/observed-store.js';
import { AdminService, DEFAULT_RATE_LIMIT, DEV_CREDITS, DEV_KEY } from './admin/admin-service.js';
import { loadCatalog, type Catalog } from './catalog/load-catalog.js';
import { createClock, type ClockMode } from './clock/clock.js';
import type { ConfigFile, KeyConfig } from './config/config-schema.js';
import { applyOverrides, ConfigError, loadConfig, parseConfig } from './config/load-config.js';
import { createApp } from './gateway/app.js';
import type { ResponseCheck } from './gateway/http.js';
import { Lifecycle } from './gateway/lifecycle.js';
import { RequestValidator } from './gateway/request-validation.js';
import { GatewayService } from './gateway/service.js';
import type { TaskStatus } from './gateway/task.js';
import { ImageCache } from './images/image-cache.js';
import { imageToken, urlSecret } from './images/image-token.js';
import { loadSpec } from './spec/load-spec.js';
import { SpecValidators } from './spec/validators.js';
import { openStore } from './store/open-store.js';
import { Metrics } from './metrics/metrics.js';
import { FaultSet, WEBHOOKS_TARGET, type FaultSpec } from './nodes/faults.js';
import { STANDARD_SCHEDULE_MS, WebhookDeliverer } from './webhooks/deliverer.js';
import { taskView } from './gateway/task.js';
import { parseFaultSpec } from './nodes/fault-spec.js';
import { NodeFleet, type NodeTransport } from './nodes/node-fleet.js';
import { CircuitBreaker } from './routing/circuit-breaker.js';
import { Dispatcher } from './routing/dispatcher.js';
import { ClockSteps, StoreSteps, type StepScheduler } from './clock/steps.js';
import { paths } from './paths.js';
import { StartupError } from './startup-error.js';
import { isStoreUnavailable } from './store/store-errors.js';
import { isLoopbackHost } from './net/hosts.js';
import { SelfTargets } from './net/self-targets.js';
import { answerClientErrors } from './net/client-errors.js';
import { errorBody } from './gateway/errors.js';

export interface SimulatorOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  seed?: number;
  /** Multiplies every emulated duration (0.001 makes a 5 s generation take 5 ms). */
  timeScale?: number;
  clock?: ClockMode;
  /** A config file path, or the config itself. */
  config?: string | ConfigFile;
  /** `memory` (default). */
  store?: string;
  /** Required for the admin API when bound to a non-loopback host. */
  adminToken?: string;
  /** `false`: no `/_sim` at all (it answers 404, as a real deployment does); `gwsim serve --no-admin`. */
  admin?: boolean;
  /** Check every response against openapi/gateway.yaml; a mismatch becomes a loud 500. For tests. */
  validateResponses?: boolean;
  /**
   * Test-only fault: rename a field wherever it appears in success bodies of the public API, to
   * prove that `gwsim verify` and `gwsim conformance` catch a gateway that drifted from its contract.
   */
  renameResponseField?: { from: string; to: string };
  /** How long close() lets in-flight requests finish before it answers waiting sync requests 503 (default 10 s). */
  shutdownGraceMs?: number;
  /** How the gateway reaches its emulated nodes (default in-process; `http` runs each on a loopback port). */
  nodeTransport?: NodeTransport;
}

export const DEFAULTS = { host: '127.0.0.1', port: 4100, seed: 1, timeScale: 1, clock: 'real' as ClockMode };
const SHUTDOWN_GRACE_MS = 10_000;
/** After the grace, how long the 503s to abandoned sync requests get to go out. */
const SHUTDOWN_FLUSH_MS = 1_000;
const IMAGE_CACHE_BYTES = 64 * 1024 * 1024;

/** Response checks against the spec, one per operation. */
function specChecks(validators: SpecValidators) {
  return (path: string, method: string): ResponseCheck =>
    (status, body) => {
      const validate = validators.response(path, method, status);
      if (!validate) return `status ${status} is not declared for ${method.toUpperCase()} ${path}`;
      return validate(body) ? undefined : `${method.toUpperCase()} ${path} ${status}: ${validators.describe(validate)}`;
    };
}

/** Rename a key at any depth of a JSON value. */
function renamer({ from, to }: { from: string; to: string }) {
  const walk = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(walk)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k === from ? to : k, walk(x)]))
        : v;
  return walk;
}

function startKeys(config: ConfigFile): KeyConfig[] {
  const keys = config.keys ?? [];
  return keys.some((k) => k.key === DEV_KEY) ? keys : [{ key: DEV_KEY, credits: DEV_CREDITS }, ...keys];
}

/** Routing settings: durations that pace the emulation scale with --time-scale, the node timeout does not. */
function routingOptions(config: ConfigFile, timeScale: number) {
  const r = config.routing ?? {};
  const scale = (ms: number) => Math.max(1, ms * timeScale);
  return {
    dispatch: {
      maxAttempts: r.max_attempts ?? 3,
      backoffMs: scale(r.backoff_ms ?? 200),
      pollMs: (r.poll_ms ?? [250, 500, 1000, 2000]).map(scale),
      lostAfterMs: scale(r.lost_after_ms ?? 60_000),
    },
    circuit: { threshold: r.circuit?.threshold ?? 5, cooldownMs: scale(r.circuit?.cooldown_ms ?? 30_000) },
    nodeTimeoutMs: r.node_timeout_ms ?? 10_000,
  };
}

/** Config that refers to the catalog (node ids, fault targets) checked against it. */
function checkConfigRefs(config: ConfigFile, catalog: Catalog, source: string): FaultSpec[] {
  const problems: string[] = [];
  for (const id of Object.keys(config.nodes ?? {})) {
    if (!catalog.nodes.has(id))
      problems.push(`nodes.${id}: unknown node (known: ${[...catalog.nodes.keys()].join(', ')})`);
  }
  const scenarios: FaultSpec[] = [];
  (config.faults ?? []).forEach((f, i) => {
    const [spec, field, reason] = parseFaultSpec(f, catalog);
    if (spec) scenarios.push(spec);
    else problems.push(`faults[${i}].${field}: ${reason}`);
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  return scenarios;
}

/** Everything a simulator is made of, wired once; `app()` is a request listener that never listens. */
export async function createSimulator(options: SimulatorOptions = {}) {
  const source = typeof options.config === 'string' ? options.config : 'config';
  const config = typeof options.config === 'string' ? loadConfig(options.config) : parseConfig(options.config ?? {});
  const seed = options.seed ?? config.seed ?? DEFAULTS.seed;
  const timeScale = options.timeScale ?? config.time_scale ?? DEFAULTS.timeScale;
  const clock = createClock(options.clock ?? config.clock ?? DEFAULTS.clock, (err) =>
    console.error('gwsim: timer failed:', err),
  );
  const catalog: Catalog = applyOverrides(loadCatalog(), config, source);
  const scenarios = checkConfigRefs(config, catalog, source);
  const spec = loadSpec();
  const validators = new SpecValidators(spec, 'gateway');
  // Every code a task can end with is the spec's: the catalog's provider failures too.
  const errorCodes = new Set((spec.components.schemas.TaskErrorCode as { enum: string[] }).enum);
  const unlisted = catalog.file.errors.filter((e) => !errorCodes.has(e.code)).map((e) => e.code);
  if (unlisted.length > 0)
    throw new StartupError(`catalog errors not listed in the spec's TaskErrorCode: ${unlisted.join(', ')}`);
  const storeUrl = options.store ?? 'memory';
  const sharedStore = storeUrl !== 'memory' && storeUrl !== 'memory:';
  if (sharedStore && clock.mode === 'manual') {
    clock.close();
    throw new StartupError(
      'the Redis store runs on the real clock: instances sharing it cannot share a manual one (drop --clock manual)',
    );
  }
  // Open dashboards see changes through the store; it reads the parts named here once a page opens.
  const live: LiveEvents = new LiveEvents((): LiveDeps => ({
    catalog,
    clock,
    store: store.inner,
    faults,
    emulators: fleet.emulators,
    circuit: (node) => breaker.state(node),
  }));
  const store: ObservedStore = new ObservedStore(await openStore(storeUrl), live);
  // While the store is away every step fails alike: say so once per outage, not once per step.
  let quietUntil = 0;
  const stepFailed = (err: unknown) => {
    if (!isStoreUnavailable(err)) return console.error('gwsim: step failed:', err);
    if (Date.now() < quietUntil) return;
    quietUntil = Date.now() + 10_000;
    console.error(`gwsim: ${(err as Error).message}; steps wait until the store is back`);
  };
  const steps: StepScheduler = sharedStore
    ? new StoreSteps(
        store,
        clock,
        { pollMs: config.steps?.poll_ms ?? 10, leaseMs: config.steps?.lease_ms ?? 30_000, batch: 100 },
        stepFailed,
      )
    : new ClockSteps(clock);
  const images = new ImageCache(IMAGE_CACHE_BYTES);
  const faults = new FaultSet(clock);
  const routing = routingOptions(config, timeScale);
  const fleet = await NodeFleet.start({
    catalog,
    clock,
    faults,
    seed,
    timeScale,
    config,
    validators: new SpecValidators(loadSpec(paths.nodeSpec), 'node'),
    transport: options.nodeTransport ?? config.node_transport ?? 'in-process',
    timeoutMs: routing.nodeTimeoutMs,
  });
  const metrics = new Metrics({
    queueDepth: () => fleet.queueDepth(),
    running: () => fleet.running(),
    creditsHeld: async () => (await store.listKeys()).reduce((sum, k) => sum + k.held, 0),
  });
  const CIRCUIT_GAUGE = { closed: 0, half_open: 1, open: 2 } as const;
  const resetCircuitGauges = () => catalog.nodes.forEach((_n, id) => metrics.circuitState.set({ node: id }, 0));
  const breaker = new CircuitBreaker(clock, routing.circuit, (node, state) =>
    metrics.circuitState.set({ node }, CIRCUIT_GAUGE[state]),
  );
  const self = new SelfTargets();
  for (const url of Object.values(fleet.urls())) self.add(url);
  const web = config.webhooks ?? {};
  let publicUrl = `http://${DEFAULTS.host}:${DEFAULTS.port}`;
  const deliverer = new WebhookDeliverer({
    steps,
    clock,
    store,
    seed,
    faults,
    metrics,
    options: {
      retryScheduleMs: (web.retry_schedule_ms ?? STANDARD_SCHEDULE_MS).map((ms) => Math.max(1, ms * timeScale)),
      timeoutMs: web.timeout_ms ?? 10_000,
      allowHosts: web.allow_hosts ?? [],
    },
    secretOf: async (key) => (await store.getKey(key))?.webhookSecret,
    render: (task) => taskView(task, publicUrl),
  });
  const chaos: FaultSpec[] = [
    ...(web.chaos?.duplicate !== undefined
      ? [{ target: WEBHOOKS_TARGET, kind: 'duplicate' as const, value: web.chaos.duplicate }]
      : []),
    ...(web.chaos?.delay_ms !== undefined
      ? [{ target: WEBHOOKS_TARGET, kind: 'delay' as const, value: web.chaos.delay_ms }]
      : []),
    ...(web.chaos?.reorder_ms !== undefined
      ? [{ target: WEBHOOKS_TARGET, kind: 'reorder' as const, value: web.chaos.reorder_ms }]
      : []),
  ];
  let dispatcher: Dispatcher | undefined;
  const secret = urlSecret(config.images?.url_secret);
  const lifecycle = new Lifecycle({
    imageToken: (id) => imageToken(secret, id),
    catalog,
    errorCodes,
    store,
    clock,
    seed,
    metrics,
    dispatch: (task, job, routes) => dispatcher!.begin(task, job, routes),
    onTerminal: (task) => deliverer.enqueue(task),
    sharedStore,
    ...(sharedStore ? { instanceSalt: randomBytes(4).readUInt32BE(0) } : {}),
  });
  dispatcher = new Dispatcher({
    clock,
    clients: fleet.clients,
    breaker,
    metrics,
    options: routing.dispatch,
    updates: lifecycle,
    steps,
  });
  const service = new GatewayService({
    catalog,
    store,
    clock,
    lifecycle,
    routing: dispatcher,
    requests: new RequestValidator(catalog, validators),
    allowHosts: web.allow_hosts ?? [],
    faults,
    self,
  });
  const admin = new AdminService({
    catalog,
    store,
    clock,
    seed,
    faults,
    metrics,
    webhooks: deliverer,
    statuses: (spec.components.schemas.TaskStatus as { enum: TaskStatus[] }).enum,
    lifecycle,
    allowHosts: web.allow_hosts ?? [],
    errorCodes,
    keys: startKeys(config),
    rateLimit: config.rate_limit ?? DEFAULT_RATE_LIMIT,
    timeScale,
    onReset: () => {
      steps.reset();
      deliverer.reset();
      lifecycle.reset();
      breaker.reset();
      fleet.reset();
      images.clear();
      metrics.reset();
      resetCircuitGauges();
      for (const f of [...scenarios, ...chaos]) faults.add(f);
    },
  });
  // A shared store holds other instances' state: join it rather than wipe it.
  if (sharedStore) {
    for (const f of [...scenarios, ...chaos]) faults.add(f);
    await admin.ensureKeys();
  } else await admin.reset();
  const checkFor = options.validateResponses ? specChecks(validators) : undefined;
  const app = (adminToken: string | undefined) =>
    createApp({
      spec,
      service,
      store,
      images,
      metrics,
      ...(options.admin === false
        ? {}
        : {
            admin: Router().use(
              dashboardRouter({ admin, store, live, emulators: fleet.emulators, token: adminToken }),
              adminRouter(admin, adminToken),
            ),
          }),
      ...(checkFor ? { checkFor } : {}),
      ...(options.renameResponseField ? { bodyFilter: renamer(options.renameResponseField) } : {}),
    });
  const close = async () => {
    live.close();
    lifecycle.reset();
    await steps.close();
    clock.close();
    await fleet.close();
    await store.close();
  };
  /** Where image URLs in webhook payloads point (the listening address, once known). */
  const setPublicUrl = (url: string) => {
    publicUrl = url;
  };
  return {
    config,
    seed,
    timeScale,
    clock,
    catalog,
    store,
    live,
    lifecycle,
    service,
    admin,
    fleet,
    faults,
    metrics,
    deliverer,
    app,
    close,
    setPublicUrl,
    self,
  };
}

export interface Simulator {
  url: string;
  clock: { readonly mode: ClockMode; now(): number; advance(ms: number): Promise<void> };
  admin: AdminService;
  catalog: Catalog;
  server: Server;
  /** Stop accepting, let in-flight requests finish (up to a grace period), release everything. */
  close(): Promise<void>;
}

/** Start a simulator listening on HTTP; `{ port: 0 }` picks a free port. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? DEFAULTS.host;
  const adminToken = options.adminToken ?? process.env.GWSIM_ADMIN_TOKEN;
  if (!isLoopbackHost(host) && !adminToken && options.admin !== false) {
    throw new StartupError(
      `refusing to bind ${host} without an admin token: set GWSIM_ADMIN_TOKEN (the admin API is open only on loopback)`,
    );
  }
  const sim = await createSimulator(options);
  // Off loopback the token is required (checked above); on loopback it is enforced when one is set.
  const server = createServer(sim.app(adminToken));
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server, {
    body: (status, message) => errorBody(status, message, status >= 500 ? 'api_error' : 'invalid_request_error'),
    count: (reason, status) => sim.metrics.malformedRequests.inc({ reason, status }),
  });
  let inFlight = 0;
  let drained: (() => void) | undefined;
  server.on('request', (_req, res) => {
    inFlight++;
    res.once('close', () => {
      if (--inFlight === 0) drained?.();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULTS.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  sim.setPublicUrl(url);
  sim.self.listening(host, port);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      sim.live.close(); // open event streams would hold the drain below for its whole grace period
      const drain = (ms: number) =>
        inFlight === 0
          ? Promise.resolve()
          : Promise.race([new Promise<void>((r) => (drained = r)), new Promise((r) => setTimeout(r, ms).unref())]);
      await drain(options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS);
      // Requests still waiting for a sync task would outlive the server: answer them 503, and let
      // those answers go out before the connections close (closing at once sent an empty reply).
      sim.lifecycle.abandonWaiters();
      await drain(SHUTDOWN_FLUSH_MS);
      sim.lifecycle.reset();
      server.closeAllConnections();
      await stopped;
      await sim.close();
    })());

  return {
    url,
    clock: { mode: sim.clock.mode, now: () => sim.clock.now(), advance: (ms) => sim.clock.advance(ms) },
    admin: sim.admin,
    catalog: sim.catalog,
    server,
    close,
  };
}
