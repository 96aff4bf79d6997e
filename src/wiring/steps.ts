import type { Clock } from '../clock/clock.js';
import { ClockSteps, StoreSteps, type StepScheduler } from '../clock/steps.js';
import type { ConfigFile } from '../config/config-schema.js';
import type { RoutingSteps } from '../routing/dispatcher.js';
import type { Store } from '../store/store.js';
import { isStoreUnavailable } from '../store/store-errors.js';
import type { WebhookSteps } from '../webhooks/deliverer.js';
import type { Logger } from '../log/logger.js';

/** Every step kind the simulator runs, with its payload: routing's and the webhook deliverer's. */
export type SimulatorSteps = RoutingSteps & WebhookSteps;

const OUTAGE_QUIET_MS = 10_000;
/** How long a claimed step is its instance's before another may run it (`steps.lease_ms`). */
export const DEFAULT_LEASE_MS = 30_000;

/** The task a routing step moves (webhook steps move none: their task has finished). */
function taskOf(kind: string, payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const p = payload as Partial<RoutingSteps['dispatch.attempt'] & RoutingSteps['dispatch.poll']>;
  return kind === 'dispatch.attempt' || kind === 'dispatch.poll' ? p.taskId : undefined;
}

/** Clock timers on one instance; jobs in the shared store when instances share it. */
export function openSteps(
  store: Store,
  clock: Clock,
  config: ConfigFile,
  sharedStore: boolean,
  logger: Logger,
): StepScheduler<SimulatorSteps> {
  if (!sharedStore) return new ClockSteps<SimulatorSteps>(clock);
  // While the store is away every step fails alike: say so once per outage, not once per step.
  let quietUntil = 0;
  const stepFailed = (err: unknown) => {
    if (!isStoreUnavailable(err)) return logger.error({ err }, 'step failed');
    if (Date.now() < quietUntil) return;
    quietUntil = Date.now() + OUTAGE_QUIET_MS;
    logger.error(`${err instanceof Error ? err.message : String(err)}; steps wait until the store is back`);
  };
  return new StoreSteps<SimulatorSteps>(
    store,
    clock,
    {
      pollMs: config.steps?.poll_ms ?? 10,
      leaseMs: config.steps?.lease_ms ?? DEFAULT_LEASE_MS,
      batch: 100,
      taskOf,
    },
    stepFailed,
  );
}
