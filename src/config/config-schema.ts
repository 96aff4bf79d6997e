import { z } from 'zod';
import { Quantiles } from '../catalog/catalog-schema.js';
import { FAULT_KINDS } from '../nodes/faults.js';

export const RateLimit = z.strictObject({
  requests: z.number().int().positive(),
  window_s: z.number().positive(),
});

export const KeyConfig = z.strictObject({
  key: z.string().regex(/^aio_[A-Za-z0-9_-]{1,120}$/, 'must look like aio_… (letters, digits, _ and -)'),
  credits: z.number().int().nonnegative(),
  rate_limit: RateLimit.optional(),
  webhook_secret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must be whsec_ followed by base64')
    .optional(),
});

export const ModelOverride = z.strictObject({
  latency_ms: Quantiles.optional(),
  failure_rate: z.number().min(0).max(1).optional(),
  /** Credits per sub-model id. */
  credits: z.record(z.string(), z.number().int().positive()).optional(),
});

export const NodeConfig = z.strictObject({
  /** Jobs a node runs at once (the catalog's figure otherwise). */
  capacity: z.number().int().positive().optional(),
  /** A node running elsewhere (`gwsim node`, a real worker): the gateway calls it over HTTP. */
  url: z.url().optional(),
  /** Bearer token for a remote node's job routes. */
  token: z.string().min(1).optional(),
});

export const RoutingConfig = z.strictObject({
  max_attempts: z.number().int().min(1).max(20).optional(),
  backoff_ms: z.number().nonnegative().optional(),
  node_timeout_ms: z.number().positive().optional(),
  poll_ms: z.array(z.number().positive()).min(1).optional(),
  lost_after_ms: z.number().positive().optional(),
  /** Real ms between polls of a node over HTTP at least, on the real clock (default 50). */
  http_poll_floor_ms: z.number().nonnegative().optional(),
  circuit: z
    .strictObject({
      threshold: z.number().int().positive().optional(),
      cooldown_ms: z.number().nonnegative().optional(),
    })
    .optional(),
});

/** A timed fault: `start_ms` after the simulator starts (or is reset), for `duration_ms`. */
export const FaultScenario = z.strictObject({
  target: z.string().min(1),
  kind: z.enum(FAULT_KINDS),
  value: z.number().nonnegative().optional(),
  start_ms: z.number().int().nonnegative().optional(),
  duration_ms: z.number().int().positive().optional(),
});

export const WebhookConfig = z.strictObject({
  /** Hosts besides loopback that callback_url may name (exact, or `*.example.com`). */
  allow_hosts: z.array(z.string().min(1)).optional(),
  /** Waits between attempts after each failure (default Standard Webhooks': 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). */
  retry_schedule_ms: z.array(z.number().int().nonnegative()).max(50).optional(),
  timeout_ms: z.number().int().positive().optional(),
  /** Real ms a manual-clock advance waits for a receiver's answer before moving on (default 2000). */
  answer_grace_ms: z.number().int().positive().max(60_000).optional(),
  /** Receiver chaos from the start: the same as faults on target `webhooks`. */
  chaos: z
    .strictObject({
      duplicate: z.number().min(0).max(1).optional(),
      delay_ms: z.number().int().nonnegative().optional(),
      reorder_ms: z.number().int().nonnegative().optional(),
    })
    .optional(),
});

export const ImagesConfig = z.strictObject({
  /** Signs image URLs (HMAC of the task id), so a fixed seed gives fixed URLs; a fresh one per run otherwise. */
  url_secret: z.string().min(16, 'must be at least 16 characters').optional(),
});

/** `gwsim.config.yaml`: everything optional; flags given on the command line win over it. */
export const ConfigFile = z.strictObject({
  seed: z.number().int().nonnegative().optional(),
  time_scale: z.number().nonnegative().optional(),
  clock: z.enum(['real', 'manual']).optional(),
  /** The limit of every key that sets none of its own. */
  rate_limit: RateLimit.optional(),
  /** Keys to create at start and on every reset, besides (or replacing) aio_dev_key. */
  keys: z.array(KeyConfig).optional(),
  models: z.record(z.string(), ModelOverride).optional(),
  nodes: z.record(z.string(), NodeConfig).optional(),
  /** How the gateway reaches the emulated nodes: direct calls, or HTTP on loopback ports. */
  node_transport: z.enum(['in-process', 'http']).optional(),
  routing: RoutingConfig.optional(),
  faults: z.array(FaultScenario).optional(),
  webhooks: WebhookConfig.optional(),
  images: ImagesConfig.optional(),
  /**
   * What the in-process parts keep once tasks finish (the memory store, each emulated node's job
   * book): the newest `finished_tasks` finished tasks, default 100,000. Running tasks are always kept.
   */
  retention: z
    .strictObject({
      finished_tasks: z.number().int().min(1).max(100_000_000).optional(),
    })
    .optional(),
  /**
   * On a shared store: how often an instance looks for due steps, how long a claimed step is its
   * own, and how often the reconciler looks for stuck tasks and orphaned holds.
   */
  steps: z
    .strictObject({
      poll_ms: z.number().int().positive().optional(),
      lease_ms: z.number().int().positive().optional(),
      reconcile_ms: z.number().int().positive().optional(),
    })
    .optional(),
});

export type ConfigFile = z.infer<typeof ConfigFile>;
export type KeyConfig = z.infer<typeof KeyConfig>;
export type ModelOverride = z.infer<typeof ModelOverride>;
export type RoutingConfig = z.infer<typeof RoutingConfig>;
export type FaultScenario = z.infer<typeof FaultScenario>;
