import type { RequestListener } from 'node:http';
import type { Router } from 'express';
import type { AdminService } from '../admin/admin-service.js';
import type { LiveEvents } from '../events/live-events.js';
import { createApp } from '../gateway/app.js';
import type { GatewayService } from '../gateway/service.js';
import type { ImageCache } from '../images/image-cache.js';
import type { Metrics } from '../metrics/metrics.js';
import type { NodeEmulator } from '../nodes/node-emulator.js';
import type { OpenApiDoc } from '../spec/load-spec.js';
import type { SpecValidators } from '../spec/validators.js';
import { adminValidators } from '../spec/admin-validators.js';
import { specChecks } from '../spec/response-checks.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../log/logger.js';
import type { RequestIdSource } from '../net/request-ids.js';

export interface HttpAppDeps {
  spec: OpenApiDoc;
  validators: SpecValidators;
  service: GatewayService;
  admin: AdminService;
  store: Store;
  images: ImageCache;
  metrics: Metrics;
  live: LiveEvents;
  emulators: ReadonlyMap<string, NodeEmulator>;
  /** `false`: no `/_sim` at all. */
  adminApi: boolean;
  validateResponses: boolean;
  renameResponseField?: { from: string; to: string } | undefined;
  requestIds: RequestIdSource;
  logger: Logger;
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

/** `/_sim`: the dashboard and the admin API, with Express, loaded when the first request for them comes. */
async function adminApp(deps: HttpAppDeps, adminToken: string | undefined): Promise<Router> {
  const { admin, store, live } = deps;
  const [{ Router }, { adminRouter }, { dashboardRouter }] = await Promise.all([
    import('express'),
    import('../admin/admin-routes.js'),
    import('../admin/dashboard-routes.js'),
  ]);
  // With validateResponses, `/_sim` answers are checked against openapi/admin.yaml as the public ones against gateway.yaml.
  const adminChecks = deps.validateResponses ? { checkFor: specChecks(adminValidators()) } : {};
  return Router().use(
    dashboardRouter({ admin, store, live, emulators: deps.emulators, token: adminToken, ...adminChecks }),
    adminRouter(admin, adminToken, adminChecks.checkFor),
  );
}

/** The request listener: public API, images, metrics, and (unless turned off) the admin API and dashboard. */
export function httpApp(deps: HttpAppDeps, adminToken: string | undefined): RequestListener {
  const { store } = deps;
  return createApp({
    spec: deps.spec,
    service: deps.service,
    store,
    images: deps.images,
    metrics: deps.metrics,
    requestIds: deps.requestIds,
    logger: deps.logger,
    ...(deps.adminApi ? { admin: () => adminApp(deps, adminToken) } : {}),
    ...(deps.validateResponses ? { checkFor: specChecks(deps.validators) } : {}),
    ...(deps.renameResponseField ? { bodyFilter: renamer(deps.renameResponseField) } : {}),
  });
}
