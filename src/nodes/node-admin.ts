import type { IncomingMessage } from 'node:http';
import type { Catalog } from '../catalog/load-catalog.js';
import type { Clock } from '../clock/clock.js';
import { errorBody, errors, GatewayError } from '../gateway/errors.js';
import { readJson } from '../gateway/http.js';
import { parseFaultSpec } from './fault-spec.js';
import type { FaultSet } from './faults.js';
import type { components } from '../generated/node-admin.js';
import { bodyProblem, nodeAdminValidators } from '../spec/admin-validators.js';
import type { NodeReply, NodeService } from './node-service.js';

/** A standalone node's own admin (`gwsim node`): faults, job fixtures, reset and clock, so a verifier can arrange provider states. */
export interface NodeFaultAdmin {
  faults: FaultSet;
  catalog: Catalog;
  /** Forget every job and fault. */
  reset: () => void | Promise<void>;
  /** The node's clock (GET /_sim/clock; POST /_sim/clock/advance on a manual one). */
  clock?: Clock;
}

type Schemas = components['schemas'];
const ok = (status: number, body: unknown): NodeReply => ({ status, body });
// The admin API answers in the docs' error shape, as gwsim's own /_sim does (the job routes keep the node spec's).
const fail = (e: GatewayError): NodeReply => ({
  status: e.status,
  body: errorBody(e.status, e.message, e.type),
  ...(Object.keys(e.headers).length > 0 ? { headers: e.headers } : {}),
});
/** Why a body does not fit its operation in openapi/node-admin.yaml, naming the field. */
const problemOf = (path: string, body: unknown) => bodyProblem(nodeAdminValidators(), path, 'post', body);

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/**
 * The methods openapi/node-admin.yaml gives the path (`/_sim/faults/{id}` matching any one
 * segment), without the clock routes on a node that has no clock: a wrong method is a 405 with
 * these in `Allow`, not a 404.
 */
function allowedMethods(path: string, admin: NodeFaultAdmin): string[] {
  for (const [template, item] of Object.entries(nodeAdminValidators().doc.paths)) {
    if (!admin.clock && template.startsWith('/_sim/clock')) continue;
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(path))
      return Object.keys(item)
        .filter((m) => HTTP_METHODS.has(m))
        .map((m) => m.toUpperCase());
  }
  return [];
}

/** `POST /_sim/jobs` `{...JobRequest, state, error?}`: a job held in `state`; nothing is stored unless all of it is valid. */
async function jobFixture(body: unknown, service: NodeService): Promise<NodeReply> {
  const problem = problemOf('/_sim/jobs', body);
  if (problem) return fail(errors.invalidRequest(problem));
  const { state, error, ...req } = body as Schemas['JobFixture'];
  const job = await service.fixtureJob(req, state, error ?? null);
  return typeof job === 'string' ? fail(errors.invalidRequest(job)) : ok(201, job);
}

async function advance(req: IncomingMessage, clock: Clock): Promise<NodeReply> {
  const body = await readJson(req);
  const problem = problemOf('/_sim/clock/advance', body);
  if (problem) return fail(errors.invalidRequest(problem));
  if (clock.mode !== 'manual')
    return fail(errors.invalidRequest("'ms': the clock is real; start the node with --clock manual to advance it"));
  await clock.advance((body as Schemas['ClockAdvance']).ms);
  return ok(200, { now_ms: clock.now(), mode: clock.mode });
}

async function route(
  req: IncomingMessage,
  path: string,
  admin: NodeFaultAdmin,
  service: NodeService,
): Promise<NodeReply> {
  const m = req.method;
  if (path === '/_sim/reset' && m === 'POST') return (await admin.reset(), ok(200, { reset: true }));
  if (path === '/_sim/jobs' && m === 'POST') return jobFixture(await readJson(req), service);
  if (path === '/_sim/clock' && m === 'GET' && admin.clock)
    return ok(200, { now_ms: admin.clock.now(), mode: admin.clock.mode });
  if (path === '/_sim/clock/advance' && m === 'POST' && admin.clock) return advance(req, admin.clock);
  if (path === '/_sim/faults' && m === 'GET') return ok(200, admin.faults.list());
  if (path === '/_sim/faults' && m === 'DELETE') return (admin.faults.clear(), ok(200, { cleared: true }));
  if (path === '/_sim/faults' && m === 'POST') {
    const [spec, field, reason] = parseFaultSpec(await readJson(req), admin.catalog);
    return spec ? ok(201, admin.faults.add(spec)) : fail(errors.invalidRequest(`'${field}' ${reason}`));
  }
  const f = /^\/_sim\/faults\/([^/]+)$/.exec(path);
  if (f && m === 'DELETE')
    return admin.faults.remove(f[1]!) ? ok(200, { removed: f[1] }) : fail(errors.notFound(`Fault not found: ${f[1]}`));
  const allow = allowedMethods(path, admin);
  if (allow.length > 0) return fail(errors.methodNotAllowed(m ?? 'GET', allow));
  return fail(errors.routeNotFound(m ?? 'GET', path.slice(0, 200)));
}

/** The node's `/_sim/*` answer; unreadable bodies are 4xx like everywhere else. */
export async function nodeAdminRoute(
  req: IncomingMessage,
  path: string,
  admin: NodeFaultAdmin,
  service: NodeService,
): Promise<NodeReply> {
  try {
    return await route(req, path, admin, service);
  } catch (err) {
    if (err instanceof GatewayError) return fail(err);
    throw err;
  }
}
