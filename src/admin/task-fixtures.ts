import type { Catalog } from '../catalog/load-catalog.js';
import { applyDefaults } from '../catalog/defaults.js';
import { outputDimensions } from '../catalog/dimensions.js';
import { errors } from '../gateway/errors.js';
import type { TaskOrchestrator } from '../tasks/orchestrator.js';
import type { components } from '../generated/admin.js';
import type { TaskRecord } from '../gateway/task.js';
import { priceOf } from '../ledger/pricing.js';
import type { Store } from '../store/store.js';
import { adminValidators, bodyProblem } from '../spec/admin-validators.js';
import { refuseCallback } from '../webhooks/allowlist.js';

export interface TaskFixtureDeps {
  catalog: Catalog;
  store: Store;
  lifecycle: TaskOrchestrator;
  allowHosts: readonly string[];
}

type TaskFixture = components['schemas']['TaskFixture'];
const bad = (reason: string) => errors.invalidRequest(reason);

/**
 * `POST /_sim/tasks`: a task of a key in a given status, made through the lifecycle (the one
 * place that builds task records) and never routed, so a provider state holds on any clock,
 * time scale or store. The shape is admin.yaml's `TaskFixture` (statuses and error codes the
 * gateway spec's); what only the store and catalog know is checked here. Nothing is stored
 * unless all of it is valid; no credits move.
 */
export async function createTaskFixture(deps: TaskFixtureDeps, body: unknown): Promise<TaskRecord> {
  const problem = bodyProblem(adminValidators(), '/_sim/tasks', 'post', body);
  if (problem) throw bad(problem);
  const { key, model, status, error, num_images, callback_url } = body as TaskFixture;
  if (!(await deps.store.getKey(key)))
    throw bad(
      `'key' must name an existing key (create it with POST /_sim/keys), got ${JSON.stringify(key.slice(0, 130))}`,
    );
  const ref = deps.catalog.resolve(model);
  if (!ref) throw bad(`'model' must name a model of the catalog, got ${JSON.stringify(model.slice(0, 100))}`);
  if (callback_url !== undefined) {
    const refused = refuseCallback(callback_url, deps.allowHosts);
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
    callbackUrl: callback_url ?? null,
  };
  return deps.lifecycle.fixture(deps.lifecycle.plan(ref), t, status, error ?? null);
}
