import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import type { ModelEntry, ParamRule, SubModel } from '../catalog/catalog-schema.js';
import { loadCatalog, type Catalog } from '../catalog/load-catalog.js';
import { StartupError } from '../startup-error.js';
import { stagesOf, type RateStage } from './arrivals.js';
import { ScenarioFile, type MixEntryFile, type ParamScalar } from './scenario-schema.js';
import { parseThreshold, type Threshold } from './thresholds.js';

export type JourneyKind = 'poll' | 'webhook' | 'submit';
export const JOURNEY_KINDS: readonly JourneyKind[] = ['poll', 'webhook', 'submit'];

export interface MixEntry {
  /** The name as the scenario gives it (id, alias or sub-model): sent as `model`, used in reports. */
  name: string;
  weight: number;
  model: ModelEntry;
  subModel: SubModel;
  /** Each parameter with the values an arrival picks from. */
  params: Array<[string, ParamValue[]]>;
}

export type ParamValue = ParamScalar | ParamScalar[];

export interface Scenario {
  name: string;
  seed: number;
  stages: RateStage[];
  arrival: 'uniform' | 'poisson';
  maxInFlight: number;
  journeys: Array<{ kind: JourneyKind; weight: number }>;
  mix: MixEntry[];
  poll: { intervalMs: number; backoff: number; maxIntervalMs: number };
  webhookTimeoutMs: number;
  requestTimeoutMs: number;
  journeyTimeoutMs: number;
  drainTimeoutMs: number;
  download: boolean;
  thresholds: Threshold[];
}

/** A scenario that cannot run; the message names every field at fault. */
export class ScenarioError extends StartupError {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid scenario ${source}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Arrivals a run may schedule: the schedule is walked in memory-free order, but time is not free. */
export const MAX_ARRIVALS = 10_000_000;
const RESERVED = new Set(['model', 'prompt', 'callback_url']);

const fieldPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    '',
  );

function zodProblems(error: ZodError): string[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${fieldPath([...issue.path, key])}: unknown field`)
      : [`${fieldPath(issue.path) || '(root)'}: ${issue.message}`],
  );
}

/** Why `value` does not fit the catalog's rule for a parameter, or undefined. */
function checkValue(rule: ParamRule, value: ParamValue): string | undefined {
  if (rule.type === 'array') {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return 'must be a list of URLs';
    return value.length > rule.max_items ? `takes at most ${rule.max_items} items` : undefined;
  }
  if (rule.type === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be a whole number';
    return value < rule.minimum || value > rule.maximum ? `must be from ${rule.minimum} to ${rule.maximum}` : undefined;
  }
  if (typeof value !== 'string') return 'must be a string';
  if (rule.enum && !rule.enum.includes(value)) return `must be one of ${rule.enum.join(', ')}`;
  return rule.max_length !== undefined && value.length > rule.max_length
    ? `is longer than ${rule.max_length}`
    : undefined;
}

function resolveMix(entries: MixEntryFile[], catalog: Catalog, problems: string[]): MixEntry[] {
  const mix: MixEntry[] = [];
  entries.forEach((entry, i) => {
    const ref = catalog.resolve(entry.model);
    if (!ref) {
      const known = catalog.models.flatMap((m) => catalog.namesOf(m));
      problems.push(`mix[${i}].model: unknown model '${entry.model}' (known: ${known.join(', ')})`);
      return;
    }
    const params: Array<[string, ParamValue[]]> = [];
    for (const [name, raw] of Object.entries(entry.params ?? {})) {
      const field = `mix[${i}].params.${name}`;
      const rule = ref.model.params[name];
      if (RESERVED.has(name)) problems.push(`${field}: is set by the generator`);
      else if (!rule)
        problems.push(
          `${field}: model '${ref.model.id}' takes no parameter '${name}' (takes: ${Object.keys(ref.model.params).join(', ')})`,
        );
      else {
        // A list is a choice per arrival, except for array parameters, whose value is the list.
        const choices: ParamValue[] = rule.type === 'array' || !Array.isArray(raw) ? [raw] : raw;
        const bad = choices.map((v) => checkValue(rule, v)).find((p) => p !== undefined);
        if (bad) problems.push(`${field}: ${bad}`);
        else params.push([name, choices]);
      }
    }
    mix.push({ name: entry.model, weight: entry.weight ?? 1, model: ref.model, subModel: ref.subModel, params });
  });
  if (mix.length === entries.length && mix.every((m) => m.weight === 0)) problems.push('mix: every weight is 0');
  return mix;
}

function resolveStages(file: ScenarioFile, problems: string[]): RateStage[] {
  if (file.stages) {
    if (file.rate !== undefined || file.duration !== undefined)
      problems.push('stages: give either rate and duration, or stages, not both');
    return stagesOf({
      startRate: file.start_rate ?? 0,
      stages: file.stages.map((s) => ({ durationMs: s.duration, target: s.target })),
    });
  }
  if (file.start_rate !== undefined) problems.push('start_rate: only applies to stages');
  if (file.rate === undefined) problems.push('rate: required (arrivals per second), or give stages');
  if (file.duration === undefined) problems.push('duration: required with rate (e.g. 30s)');
  else if (file.duration <= 0) problems.push('duration: must be more than 0');
  return stagesOf({ rate: file.rate ?? 0, durationMs: file.duration ?? 0 });
}

/**
 * Validate a parsed scenario (a ScenarioInput, as a scenario file holds it) against its schema and
 * the catalog (default: the built-in one); throws ScenarioError naming each field.
 */
export function parseScenario(raw: unknown, catalog: Catalog = loadCatalog(), source = 'scenario'): Scenario {
  const parsed = ScenarioFile.safeParse(raw);
  if (!parsed.success) throw new ScenarioError(source, zodProblems(parsed.error));
  const file = parsed.data;
  const problems: string[] = [];
  const stages = resolveStages(file, problems);
  const mass = stages.reduce((s, st) => s + ((st.from + st.to) / 2) * (st.durationMs / 1000), 0);
  if (mass > MAX_ARRIVALS)
    problems.push(
      `${file.stages ? 'stages' : 'rate'}: ${Math.round(mass)} arrivals is over the limit of ${MAX_ARRIVALS}; shard the run`,
    );
  const mix = resolveMix(file.mix, catalog, problems);
  const journeys = JOURNEY_KINDS.map((kind) => ({ kind, weight: file.journeys?.[kind] ?? 0 })).filter(
    (j) => j.weight > 0,
  );
  if (file.journeys && journeys.length === 0)
    problems.push('journeys: give at least one of poll, webhook, submit a weight above 0');
  const poll = {
    intervalMs: file.poll?.interval ?? 500,
    backoff: file.poll?.backoff ?? 1.5,
    maxIntervalMs: file.poll?.max_interval ?? 5000,
  };
  if (poll.intervalMs <= 0) problems.push('poll.interval: must be more than 0');
  if (poll.maxIntervalMs < poll.intervalMs) problems.push('poll.max_interval: must not be below poll.interval');
  const thresholds: Threshold[] = [];
  (file.thresholds ?? []).forEach((text, i) => {
    const t = parseThreshold(
      text,
      mix.map((m) => m.name),
    );
    if (typeof t === 'string') problems.push(`thresholds[${i}]: ${t}`);
    else thresholds.push(t);
  });
  if (problems.length > 0) throw new ScenarioError(source, problems);
  return {
    name: file.name ?? 'load',
    seed: file.seed ?? 1,
    stages,
    arrival: file.arrival ?? 'uniform',
    maxInFlight: file.max_in_flight ?? 1000,
    journeys: journeys.length > 0 ? journeys : [{ kind: 'poll', weight: 1 }],
    mix,
    poll,
    webhookTimeoutMs: file.webhook?.timeout ?? 60_000,
    requestTimeoutMs: file.timeouts?.request ?? 30_000,
    journeyTimeoutMs: file.timeouts?.journey ?? 300_000,
    drainTimeoutMs: file.timeouts?.drain ?? 120_000,
    download: file.download ?? true,
    thresholds,
  };
}

/** Read and validate a scenario YAML file. */
export function loadScenario(file: string, catalog: Catalog = loadCatalog()): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(file, [`(file): cannot read: ${(err as Error).message}`]);
  }
  return parseScenario(raw, catalog, file);
}
