import type { Logger } from '../log/logger.js';
import type { Clock } from '../clock/clock.js';
import type { StepScheduler } from '../clock/steps.js';
import { taskView } from '../gateway/task.js';
import { runImageTokens } from '../images/image-token.js';
import type { Metrics } from '../metrics/metrics.js';
import type { FaultSet } from '../nodes/faults.js';
import type { NodeClient } from '../nodes/node-client.js';
import { CircuitBreaker } from '../routing/circuit-breaker.js';
import { Dispatcher } from '../routing/dispatcher.js';
import type { Store } from '../store/store.js';
import { TaskOrchestrator, type TaskTransition } from '../tasks/orchestrator.js';
import { ANSWER_GRACE_MS, STANDARD_SCHEDULE_MS, WebhookDeliverer } from '../webhooks/deliverer.js';
import type { Settings } from './settings.js';
import type { SimulatorSteps } from './steps.js';

const CIRCUIT_GAUGE = { closed: 0, half_open: 1, open: 2 } as const;

export interface TaskPartsDeps {
  settings: Settings;
  clock: Clock;
  store: Store;
  steps: StepScheduler<SimulatorSteps>;
  faults: FaultSet;
  metrics: Metrics;
  clients: ReadonlyMap<string, NodeClient>;
  /** Where image URLs in webhook payloads point (the listening address, once known). */
  publicUrl: () => string;
  onTransition?: ((transition: TaskTransition) => void) | undefined;
  logger: Logger;
}

export interface TaskParts {
  tasks: TaskOrchestrator;
  deliverer: WebhookDeliverer;
  breaker: CircuitBreaker;
  /** Every node's circuit gauge back to closed (a reset). */
  resetCircuitGauges: () => void;
}

/** A task's life: the orchestrator, the routing it drives, and the webhook deliverer it hands finished tasks to. */
export function wireTasks(deps: TaskPartsDeps): TaskParts {
  const { settings, clock, store, steps, faults, metrics } = deps;
  const { config, seed, timeScale, catalog } = settings;
  const webhooks = config.webhooks ?? {};
  const breaker = new CircuitBreaker(clock, settings.routing.circuit, (node, state) =>
    metrics.circuitState.set({ node }, CIRCUIT_GAUGE[state]),
  );
  const deliverer = new WebhookDeliverer({
    steps,
    clock,
    store,
    seed,
    faults,
    metrics,
    options: {
      retryScheduleMs: (webhooks.retry_schedule_ms ?? STANDARD_SCHEDULE_MS).map((ms) => Math.max(1, ms * timeScale)),
      timeoutMs: webhooks.timeout_ms ?? 10_000,
      allowHosts: webhooks.allow_hosts ?? [],
      answerGraceMs: webhooks.answer_grace_ms ?? ANSWER_GRACE_MS,
    },
    secretOf: async (key) => (await store.getKey(key))?.webhookSecret,
    logger: deps.logger,
    render: (task) => taskView(task, deps.publicUrl()),
  });
  const tasks = new TaskOrchestrator({
    imageToken: runImageTokens(config.images?.url_secret),
    catalog,
    errorCodes: settings.errorCodes,
    store,
    clock,
    seed,
    metrics,
    routing: (events) =>
      new Dispatcher({
        clock,
        clients: deps.clients,
        breaker,
        metrics,
        // An in-process node answers for its job's next change on a shared store too: its job book is there.
        options: settings.routing.dispatch,
        events,
        steps,
        faults,
      }),
    onFinished: (task) => deliverer.enqueue(task),
    delivery: (done) => deliverer.prepare(done),
    firstStep: (due, dispatch) => steps.stored?.(due, 'dispatch.attempt', dispatch),
    ...(deps.onTransition ? { onTransition: deps.onTransition } : {}),
    sharedStore: settings.sharedStore,
    instanceSalt: settings.instanceSalt,
  });
  const resetCircuitGauges = () => catalog.nodes.forEach((_node, id) => metrics.circuitState.set({ node: id }, 0));
  return { tasks, deliverer, breaker, resetCircuitGauges };
}
