import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminRouter } from './admin/admin-routes.js';
import { AdminService, DEFAULT_RATE_LIMIT, DEV_CREDITS, DEV_KEY } from './admin/admin-service.js';
import { loadCatalog, type Catalog } from './catalog/load-catalog.js';
import { createClock, type ClockMode } from './clock/clock.js';
import type { ConfigFile, KeyConfig } from './config/config-schema.js';
import { applyOverrides, loadConfig, parseConfig } from './config/load-config.js';
import { createApp, expressPath } from './gateway/app.js';
import type { ResponseCheck } from './gateway/http.js';
import { Lifecycle } from './gateway/lifecycle.js';
import { RequestValidator } from './gateway/request-validation.js';
import { GatewayService } from './gateway/service.js';
import type { TaskStatus } from './gateway/task.js';
import { ImageCache } from './images/image-cache.js';
import { loadSpec, type OpenApiDoc } from './spec/load-spec.js';
import { SpecValidators } from './spec/validators.js';
import { openStore } from './store/open-store.js';

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
  /** Check every response against openapi/gateway.yaml; a mismatch becomes a loud 500. For tests. */
  validateResponses?: boolean;
}

export const DEFAULTS = { host: '127.0.0.1', port: 4100, seed: 1, timeScale: 1, clock: 'real' as ClockMode };
const SHUTDOWN_GRACE_MS = 10_000;
const IMAGE_CACHE_BYTES = 64 * 1024 * 1024;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || /^::ffff:127\./.test(host);
}

/** A response check against the spec, for the operations the spec declares. */
function specCheck(spec: OpenApiDoc, validators: SpecValidators): ResponseCheck {
  const byRoute = new Map(Object.keys(spec.paths).map((p) => [expressPath(p), p]));
  return (req: IncomingMessage, status, body) => {
    const route = (req as IncomingMessage & { route?: { path?: string } }).route?.path;
    const path = route === undefined ? undefined : byRoute.get(route);
    if (path === undefined) return undefined;
    const validate = validators.response(path, req.method ?? 'GET', status);
    if (!validate) return `status ${status} is not declared for ${req.method} ${path}`;
    return validate(body) ? undefined : `${req.method} ${path} ${status}: ${validators.describe(validate)}`;
  };
}

function startKeys(config: ConfigFile): KeyConfig[] {
  const keys = config.keys ?? [];
  return keys.some((k) => k.key === DEV_KEY) ? keys : [{ key: DEV_KEY, credits: DEV_CREDITS }, ...keys];
}

/** Everything a simulator is made of, wired once; `app` is an Express app that never listens. */
export async function createSimulator(options: SimulatorOptions = {}) {
  const config = typeof options.config === 'string' ? loadConfig(options.config) : parseConfig(options.config ?? {});
  const seed = options.seed ?? config.seed ?? DEFAULTS.seed;
  const timeScale = options.timeScale ?? config.time_scale ?? DEFAULTS.timeScale;
  const clock = createClock(options.clock ?? config.clock ?? DEFAULTS.clock, (err) => console.error('gwsim: timer failed:', err));
  const catalog: Catalog = applyOverrides(loadCatalog(), config, typeof options.config === 'string' ? options.config : 'config');
  const spec = loadSpec();
  const validators = new SpecValidators(spec, 'gateway');
  const store = await openStore(options.store ?? 'memory');
  const images = new ImageCache(IMAGE_CACHE_BYTES);
  const lifecycle = new Lifecycle({ catalog, store, clock, seed, timeScale });
  const service = new GatewayService({ catalog, store, clock, lifecycle, requests: new RequestValidator(catalog, validators) });
  const admin = new AdminService({
    catalog,
    store,
    clock,
    seed,
    statuses: (spec.components.schemas.TaskStatus as { enum: TaskStatus[] }).enum,
    keys: startKeys(config),
    rateLimit: config.rate_limit ?? DEFAULT_RATE_LIMIT,
    onReset: () => {
      lifecycle.reset();
      images.clear();
    },
  });
  await admin.reset();
  const check = options.validateResponses ? specCheck(spec, validators) : undefined;
  const app = (adminToken: string | undefined) =>
    createApp({ spec, service, store, images, admin: adminRouter(admin, adminToken), ...(check ? { check } : {}) });
  return { config, seed, timeScale, clock, catalog, store, lifecycle, service, admin, app };
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
  if (!isLoopback(host) && !adminToken) {
    throw new Error(`refusing to bind ${host} without an admin token: set GWSIM_ADMIN_TOKEN (the admin API is open only on loopback)`);
  }
  const sim = await createSimulator(options);
  const server = createServer(sim.app(isLoopback(host) ? options.adminToken ?? process.env.GWSIM_ADMIN_TOKEN : adminToken));
  server.keepAliveTimeout = 65_000;
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

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((r) => (drained = r)), new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS).unref())]);
      }
      sim.lifecycle.reset();
      server.closeAllConnections();
      await stopped;
      sim.clock.close();
      await sim.store.close();
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
