import { z } from 'zod';
import { parseDuration } from './duration.js';

/** `30s`, `500ms`, `2m` or a number of milliseconds, to milliseconds. */
const Duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a duration like 500ms, 30s, 2m or 1h` });
    return z.NEVER;
  }
  return ms;
});

const Rate = z.number().min(0).max(1_000_000);
const Weight = z.number().min(0).max(1_000_000);
const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/** A parameter: one value, or a list to pick from per arrival (array parameters take one list). */
const ParamValue = z.union([Scalar, z.array(Scalar).min(1).max(1000)]);

export const MixEntryFile = z.strictObject({
  model: z.string().min(1).max(128),
  weight: Weight.optional(),
  params: z.record(z.string(), ParamValue).optional(),
});

/** The scenario file as written; cross-field and catalog checks come after (scenario.ts). */
export const ScenarioFile = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
  rate: Rate.optional(),
  duration: Duration.optional(),
  start_rate: Rate.optional(),
  stages: z
    .array(z.strictObject({ duration: Duration, target: Rate }))
    .min(1)
    .max(1000)
    .optional(),
  arrival: z.enum(['uniform', 'poisson']).optional(),
  max_in_flight: z.number().int().min(1).max(100_000).optional(),
  journeys: z
    .strictObject({ poll: Weight.optional(), webhook: Weight.optional(), submit: Weight.optional() })
    .optional(),
  mix: z.array(MixEntryFile).min(1).max(100),
  poll: z
    .strictObject({
      interval: Duration.optional(),
      backoff: z.number().min(1).max(10).optional(),
      max_interval: Duration.optional(),
    })
    .optional(),
  webhook: z.strictObject({ timeout: Duration.optional() }).optional(),
  timeouts: z
    .strictObject({ request: Duration.optional(), journey: Duration.optional(), drain: Duration.optional() })
    .optional(),
  download: z.boolean().optional(),
  thresholds: z.array(z.string().min(1).max(200)).max(100).optional(),
});

export type ScenarioFile = z.infer<typeof ScenarioFile>;
/** A scenario as written (durations as `30s` or milliseconds): what `parseScenario` takes. */
export type ScenarioInput = z.input<typeof ScenarioFile>;
export type MixEntryFile = z.infer<typeof MixEntryFile>;
export type ParamScalar = z.infer<typeof Scalar>;
