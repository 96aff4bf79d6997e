import { z } from 'zod';
import { Quantiles } from '../catalog/catalog-schema.js';

export const RateLimit = z.strictObject({
  requests: z.number().int().positive(),
  window_s: z.number().positive(),
});

export const KeyConfig = z.strictObject({
  key: z.string().regex(/^aio_[A-Za-z0-9_-]{1,120}$/, 'must look like aio_… (letters, digits, _ and -)'),
  credits: z.number().int().nonnegative(),
  rate_limit: RateLimit.optional(),
  webhook_secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must be whsec_ followed by base64').optional(),
});

export const ModelOverride = z.strictObject({
  latency_ms: Quantiles.optional(),
  queue_ms: Quantiles.optional(),
  failure_rate: z.number().min(0).max(1).optional(),
  /** Credits per sub-model id. */
  credits: z.record(z.string(), z.number().int().positive()).optional(),
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
});

export type ConfigFile = z.infer<typeof ConfigFile>;
export type KeyConfig = z.infer<typeof KeyConfig>;
export type ModelOverride = z.infer<typeof ModelOverride>;
