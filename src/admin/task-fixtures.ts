import type { Catalog } from '../catalog/load-catalog.js';
import { applyDefaults } from '../catalog/defaults.js';
import { outputDimensions } from '../catalog/dimensions.js';
import { errors } from '../gateway/errors.js';
import type { TaskOrchestrator } from '../tasks/orchestrator.js';
import type { TaskRecord, TaskStatus } from '../gateway/task.js';
import { priceOf } from '../ledger/pricing.js';
import type { Store } from '../store/store.js';
import { refuseCallback } from '../webhooks/allowlist.js';

export interface TaskFixtureDeps {
  catalog: Catalog;
  store: Store;
  lifecycle: TaskOrchestrator;
  statuses: readonly TaskStatus[];
  /** The spec's TaskErrorCode values: a FAILED fixture's error.code must be one. */
  errorCodes: ReadonlySet<string>;
  allowHosts: readonly string[];
}

const FIELDS = ['key', 'model', 'status', 'error', 'num_images', 'callback_url'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (reason: string) => errors.invalidRequest(reason);

/**
 * `POST /_sim/tasks`: a task of a key in a given status, made through the lifecycle (the one
 * place that builds task records) and never routed, so a provider state holds on any clock,
 * time scale or store. Every field is checked before anything is stored; no credits move.
 */
export async function createTaskFixture(deps: TaskFixtureDeps, body: unknown): Promise<TaskRecord> {
  if (!isObject(body)) throw bad('the body must be a JSON object');
  const unknown = Object.keys(body).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) throw bad(`'${unknown}' is not a field of a task fixture (${FIELDS.join(', ')})`);
  const { key, model, status, error, num_images, callback_url } = body;
  if (typeof key !== 'string' || !(await deps.store.getKey(key)))
    throw bad(`'key' must name an existing key (create it with POST /_sim/keys), got ${JSON.stringify(key)}`);
  const ref = typeof model === 'string' ? deps.catalog.resolve(model) : undefined;
  if (!ref) throw bad(`'model' must name a model of the catalog, got ${JSON.stringify(model)}`);
  if (typeof status !== 'string' || !deps.statuses.includes(status as TaskStatus))
    throw bad(`'status' must be one of ${deps.statuses.join(', ')}`);
  if (
    error !== undefined &&
    (status !== 'FAILED' ||
      !isObject(error) ||
      typeof error.code !== 'string' ||
      !deps.errorCodes.has(error.code) ||
      typeof error.message !== 'string' ||
      Object.keys(error).length !== 2)
  ) {
    throw bad(
      `'error' must be {code, message}, code one of ${[...deps.errorCodes].join(', ')}, and only on a FAILED fixture`,
    );
  }
  if (
    num_images !== undefined &&
    (typeof num_images !== 'number' || !Number.isInteger(num_images) || num_images < 1 || num_images > 8)
  ) {
    throw bad("'num_images' must be a whole number from 1 to 8");
  }
  if (callback_url !== undefined) {
    const refused =
      typeof callback_url === 'string' ? refuseCallback(callback_url, deps.allowHosts) : 'must be a string';
    if (refused) throw bad(`'callback_url' ${refused}`);
  }
  const params = applyDefaults(ref.model, { ...(num_images !== undefined ? { num_images } : {}) });
  const { price, numImages } = priceOf(ref, params);
  const { width, height } = outputDimensions(ref.model.output, params);
  const t = {
    key,
    ref,
    prompt: 'a provider-state fixture',
    params,
    price,
    numImages,
    width,
    height,
    callbackUrl: (callback_url as string | undefined) ?? null,
  };
  return deps.lifecycle.fixture(
    deps.lifecycle.plan(ref),
    t,
    status as TaskStatus,
    (error as TaskRecord['error'] | undefined) ?? null,
  );
}
