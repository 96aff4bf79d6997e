import type { Catalog } from '../catalog/load-catalog.js';
import { modelInfo } from '../catalog/model-info.js';
import { outputDimensions } from '../catalog/dimensions.js';
import { taskView, type TaskErrorCode, type TaskRecord, type TaskStatus } from '../gateway/task.js';
import { applyDefaults } from '../catalog/defaults.js';
import { imageToken } from '../images/image-token.js';

const EXAMPLE_BASE_URL = 'http://127.0.0.1:4100';
/** The examples' image URLs carry a token as real ones do; this fixed secret keeps them stable. */
const EXAMPLE_URL_SECRET = 'gwsim-example-url-secret';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** A task of the seed request for `name` at a given status, priced and sized from the catalog. */
function exampleTask(
  catalog: Catalog,
  name: string,
  random: string,
  status: TaskStatus,
  times: [number, number | null, number | null],
): TaskRecord {
  const ref = catalog.resolve(name);
  if (!ref) throw new Error(`example model ${name} is not in the catalog`);
  const { model, subModel } = ref;
  const route = model.routes[0]!;
  const params = applyDefaults(model, {});
  const { width, height } = outputDimensions(model.output, params);
  const price = subModel.credits;
  const done = status === 'COMPLETED';
  const id = `${catalog.nodes.get(route.node)!.prefix}${random}_${model.tag}`;
  return {
    id,
    key: 'aio_dev_key',
    model: model.id,
    subModel: subModel.id,
    node: route.node,
    provider: route.provider,
    status,
    // Waiting on a busy node: accepted by it, third in its queue.
    queuePosition: status === 'IN_QUEUE' ? 3 : null,
    attempts: [{ node: route.node, provider: route.provider, at: T0 + times[0], outcome: 'accepted', detail: null }],
    createdAt: T0 + times[0],
    startedAt: times[1] === null ? null : T0 + times[1],
    completedAt: times[2] === null ? null : T0 + times[2],
    width,
    height,
    numImages: 1,
    imageSeed: 1,
    imageToken: done ? imageToken(EXAMPLE_URL_SECRET, id) : null,
    error:
      status === 'FAILED'
        ? { code: catalog.file.errors[0]!.code as TaskErrorCode, message: catalog.file.errors[0]!.message }
        : null,
    held: status === 'IN_QUEUE' || status === 'IN_PROGRESS' ? price : 0,
    charged: done ? price : 0,
    callbackUrl: null,
  };
}

const envelope = (data: unknown) => ({ code: 200, message: 'success', data });

/** The `components.examples` of the gateway spec, generated so that no price is restated by hand. */
export function gatewayExamples(catalog: Catalog): Record<string, { summary: string; value: unknown }> {
  const task = (summary: string, rec: TaskRecord) => ({ summary, value: envelope(taskView(rec, EXAMPLE_BASE_URL)) });
  const imagen = catalog.model('imagen-4');
  if (!imagen) throw new Error('the examples need imagen-4 in the catalog');
  return {
    TaskQueued: task(
      'An imagen-4 task waiting for room on its busy node',
      exampleTask(catalog, 'imagen4', 'k3j9x0a2bqz', 'IN_QUEUE', [0, null, null]),
    ),
    TaskInProgress: task(
      'An imagen-4 task generating (the create answer when its node starts it at once)',
      exampleTask(catalog, 'imagen4', 'k3j9x0a2bqz', 'IN_PROGRESS', [0, 0, null]),
    ),
    TaskCompleted: task(
      'An imagen-4 task finished, and charged',
      exampleTask(catalog, 'imagen4', 'k3j9x0a2bqz', 'COMPLETED', [0, 240, 5113]),
    ),
    TaskCompletedSync: task(
      'A cogview-4 task, answered when finished',
      exampleTask(catalog, 'cogview-4', 'p0d8s1mfw2c', 'COMPLETED', [0, 0, 4602]),
    ),
    TaskFailed: task(
      'An imagen-4 task the provider failed; its hold was released',
      exampleTask(catalog, 'imagen4', 'r8c2m5x1tyv', 'FAILED', [0, 310, 6020]),
    ),
    ModelList: { summary: 'The whole catalog', value: envelope(catalog.models.map((m) => modelInfo(catalog, m))) },
    ModelImagen4: { summary: 'imagen-4 and its sub-models', value: envelope(modelInfo(catalog, imagen)) },
  };
}
