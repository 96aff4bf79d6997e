import { randomBytes } from 'node:crypto';
import { loadCatalog, type Catalog } from '../catalog/load-catalog.js';
import type { ClockMode } from '../clock/clock.js';
import type { ConfigFile } from '../config/config-schema.js';
import { applyOverrides, ConfigError, loadConfig, parseConfig } from '../config/load-config.js';
import { parseFaultSpec } from '../nodes/fault-spec.js';
import { WEBHOOKS_TARGET, type FaultSpec } from '../nodes/faults.js';
import type { RoutingOptions } from '../routing/dispatcher.js';
import { loadSpec, type OpenApiDoc } from '../spec/load-spec.js';
import { SpecValidators } from '../spec/validators.js';
import { StartupError } from '../startup-error.js';

/** What `createSimulator` reads from its options and the config file, before anything runs. */
export interface SettingsInput {
  config?: string | ConfigFile | undefined;
  seed?: number | undefined;
  timeScale?: number | undefined;
  clock?: ClockMode | undefined;
  store?: string | undefined;
}

export const DEFAULTS = { host: '127.0.0.1', port: 4100, seed: 1, timeScale: 1, clock: 'real' as ClockMode };

export interface Settings {
  config: ConfigFile;
  seed: number;
  timeScale: number;
  clockMode: ClockMode;
  catalog: Catalog;
  spec: OpenApiDoc;
  validators: SpecValidators;
  /** Every code a task can end with: the spec's `TaskErrorCode` enum. */
  errorCodes: ReadonlySet<string>;
  storeUrl: string;
  /** A store other instances share (Redis), not this process's own memory. */
  sharedStore: boolean;
  /**
   * On a shared store, mixed into every id this instance draws from the seed (task ids, generated
   * key names), so instances sharing a store and a seed never mint the same ones.
   */
  instanceSalt: number | undefined;
  routing: { dispatch: RoutingOptions; circuit: { threshold: number; cooldownMs: number }; nodeTimeoutMs: number };
  /** Faults in force from the start (and again after every reset): config scenarios and webhook chaos. */
  startFaults: FaultSpec[];
}

/** Options and config resolved and checked against the catalog and the spec; throws on any problem. */
export function resolveSettings(options: SettingsInput): Settings {
  const source = typeof options.config === 'string' ? options.config : 'config';
  const config = typeof options.config === 'string' ? loadConfig(options.config) : parseConfig(options.config ?? {});
  const catalog: Catalog = applyOverrides(loadCatalog(), config, source);
  const scenarios = checkConfigRefs(config, catalog, source);
  const spec = loadSpec();
  // Every code a task can end with is the spec's: the catalog's provider failures too.
  const errorCodes = new Set((spec.components.schemas.TaskErrorCode as { enum: string[] }).enum);
  const unlisted = catalog.file.errors.filter((e) => !errorCodes.has(e.code)).map((e) => e.code);
  if (unlisted.length > 0)
    throw new StartupError(`catalog errors not listed in the spec's TaskErrorCode: ${unlisted.join(', ')}`);
  const storeUrl = options.store ?? 'memory';
  const sharedStore = storeUrl !== 'memory' && storeUrl !== 'memory:';
  const clockMode = options.clock ?? config.clock ?? DEFAULTS.clock;
  if (sharedStore && clockMode === 'manual') {
    throw new StartupError(
      'the Redis store runs on the real clock: instances sharing it cannot share a manual one (drop --clock manual)',
    );
  }
  const timeScale = options.timeScale ?? config.time_scale ?? DEFAULTS.timeScale;
  return {
    config,
    seed: options.seed ?? config.seed ?? DEFAULTS.seed,
    timeScale,
    clockMode,
    catalog,
    spec,
    validators: new SpecValidators(spec, 'gateway'),
    errorCodes,
    storeUrl,
    sharedStore,
    instanceSalt: sharedStore ? randomBytes(4).readUInt32BE(0) : undefined,
    routing: routingOptions(config, timeScale),
    startFaults: [...scenarios, ...webhookChaos(config)],
  };
}

/** Routing settings: durations that pace the emulation scale with --time-scale, the node timeout does not. */
function routingOptions(config: ConfigFile, timeScale: number): Settings['routing'] {
  const r = config.routing ?? {};
  const scale = (ms: number) => Math.max(1, ms * timeScale);
  return {
    dispatch: {
      maxAttempts: r.max_attempts ?? 3,
      backoffMs: scale(r.backoff_ms ?? 200),
      pollMs: (r.poll_ms ?? [250, 500, 1000, 2000]).map(scale),
      lostAfterMs: scale(r.lost_after_ms ?? 60_000),
      // Real time, so not scaled.
      httpPollFloorMs: r.http_poll_floor_ms ?? 50,
      jobChanges: true,
    },
    circuit: { threshold: r.circuit?.threshold ?? 5, cooldownMs: scale(r.circuit?.cooldown_ms ?? 30_000) },
    nodeTimeoutMs: r.node_timeout_ms ?? 10_000,
  };
}

/** Config that refers to the catalog (node ids, fault targets) checked against it. */
function checkConfigRefs(config: ConfigFile, catalog: Catalog, source: string): FaultSpec[] {
  const problems: string[] = [];
  for (const id of Object.keys(config.nodes ?? {})) {
    if (!catalog.nodes.has(id))
      problems.push(`nodes.${id}: unknown node (known: ${[...catalog.nodes.keys()].join(', ')})`);
  }
  const scenarios: FaultSpec[] = [];
  (config.faults ?? []).forEach((f, i) => {
    const [spec, field, reason] = parseFaultSpec(f, catalog);
    if (spec) scenarios.push(spec);
    else problems.push(`faults[${i}].${field}: ${reason}`);
  });
  if (problems.length > 0) throw new ConfigError(source, problems);
  return scenarios;
}

/** `webhooks.chaos` as faults on the webhooks target. */
function webhookChaos(config: ConfigFile): FaultSpec[] {
  const chaos = config.webhooks?.chaos;
  const faults: FaultSpec[] = [];
  if (chaos?.duplicate !== undefined)
    faults.push({ target: WEBHOOKS_TARGET, kind: 'duplicate', value: chaos.duplicate });
  if (chaos?.delay_ms !== undefined) faults.push({ target: WEBHOOKS_TARGET, kind: 'delay', value: chaos.delay_ms });
  if (chaos?.reorder_ms !== undefined)
    faults.push({ target: WEBHOOKS_TARGET, kind: 'reorder', value: chaos.reorder_ms });
  return faults;
}
