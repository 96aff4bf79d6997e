import { DEV_KEY, DEV_WEBHOOK_SECRET } from '../admin/admin-service.js';
import { StartupError } from '../startup-error.js';
import { ArrivalPlanner } from './arrival-plan.js';
import { ArrivalSchedule, shardLabel, WHOLE, type Shard } from './arrivals.js';
import { GatewayClient } from './gateway-client.js';
import { buildReport, type LoadReport, type ScenarioSummary } from './report.js';
import { RunDriver, type DriveOptions } from './run-driver.js';
import type { Scenario } from './scenario.js';
import { WebhookReceiver } from './webhook-receiver.js';

export type { Progress } from './run-driver.js';

export interface RunOptions extends DriveOptions {
  target: string;
  key: string;
  scenario: Scenario;
  shard?: Shard;
  /** The key's `whsec_` secret; else asked of a gwsim target's admin API, else the dev key's. */
  webhookSecret?: string;
  /** Where the webhook receiver listens (default 127.0.0.1, any free port). */
  webhookListen?: { host: string; port: number };
  /** Callback URL to advertise instead of the receiver's own address (a staging gateway must reach it). */
  webhookUrl?: string;
  /** Bearer token for a gwsim target's admin API (GWSIM_ADMIN_TOKEN). */
  adminToken?: string;
}

export function summarizeScenario(s: Scenario): ScenarioSummary {
  return {
    name: s.name,
    seed: s.seed,
    arrival: s.arrival,
    max_in_flight: s.maxInFlight,
    duration_ms: s.stages.reduce((sum, st) => sum + st.durationMs, 0),
    stages: s.stages.map((st) => ({ duration_ms: st.durationMs, from: st.from, to: st.to })),
    journeys: Object.fromEntries(s.journeys.map((j) => [j.kind, j.weight])),
    mix: s.mix.map((m) => ({ model: m.name, weight: m.weight })),
    thresholds: s.thresholds.map((t) => t.expression),
  };
}

const needsWebhooks = (s: Scenario): boolean =>
  s.journeys.some((j) => j.kind === 'webhook' && j.weight > 0) && s.mix.some((m) => m.model.webhook && m.weight > 0);

async function resolveSecret(options: RunOptions, client: GatewayClient): Promise<string> {
  const secret =
    options.webhookSecret ??
    (await client.webhookSecret(options.adminToken)) ??
    (options.key === DEV_KEY ? DEV_WEBHOOK_SECRET : undefined);
  if (!secret)
    throw new StartupError(
      `webhook journeys need the webhook secret of key ${options.key}: pass --webhook-secret whsec_…`,
    );
  return secret;
}

/**
 * Drive the target with the scenario's open-model arrivals: each arrival starts at its
 * scheduled time whatever earlier ones are doing (up to max in flight, beyond which it waits
 * and its wait counts in its latencies), until the schedule ends; then in-flight journeys get
 * the drain timeout to finish. Returns the report.
 */
export async function runLoad(options: RunOptions): Promise<LoadReport> {
  const { scenario } = options;
  const shard = options.shard ?? WHOLE;
  const schedule = new ArrivalSchedule(scenario.stages, scenario.arrival, scenario.seed);
  const planner = new ArrivalPlanner(scenario);
  const client = new GatewayClient({
    target: options.target,
    key: options.key,
    connections: Math.min(scenario.maxInFlight, 1024),
    requestTimeoutMs: scenario.requestTimeoutMs,
  });
  let receiver: WebhookReceiver | undefined;
  try {
    if (needsWebhooks(scenario)) {
      receiver = await WebhookReceiver.start({
        secret: await resolveSecret(options, client),
        ...options.webhookListen,
        ...(options.webhookUrl ? { publicUrl: options.webhookUrl } : {}),
      });
    }
    const balanceBefore = await client.balance();
    const startedAt = new Date();
    const run = new RunDriver(scenario, schedule, planner, client, receiver, shard);
    const elapsedMs = await run.drive(options);
    const counts = run.stats.counts;
    counts.arrivals.scheduled = schedule.count(shard);
    counts.arrivals.dropped = counts.arrivals.scheduled - counts.arrivals.started;
    counts.credits.balance_before = balanceBefore;
    counts.credits.balance_after = await client.balance();
    if (receiver) {
      await receiver.close();
      counts.webhooks = { ...receiver.counts };
      receiver = undefined;
    }
    const latency = run.latency.report();
    run.latency.destroy();
    return buildReport({
      target: options.target,
      scenario: summarizeScenario(scenario),
      shards: shard.count > 1 ? [shardLabel(shard)] : [],
      runs: 1,
      startedAt,
      elapsedMs,
      counts,
      latency,
      thresholds: scenario.thresholds,
    });
  } finally {
    await receiver?.close();
    await client.close();
  }
}
