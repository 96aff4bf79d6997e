import type { Catalog } from '../catalog/load-catalog.js';
import {
  MODEL_FAULT_KINDS,
  NODE_FAULT_KINDS,
  WEBHOOK_FAULT_KINDS,
  WEBHOOKS_TARGET,
  type FaultKind,
  type FaultSpec,
} from './faults.js';

const MAX_MS = 365 * 24 * 3600 * 1000;
const FIELDS = new Set(['target', 'kind', 'value', 'duration_ms', 'start_ms']);
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_MS;

/** The rule `value` must follow for a kind, as [ok, what it needs]. */
const VALUE_RULES: Partial<Record<FaultKind, [(v: unknown) => boolean, string]>> = {
  error_rate: [(v) => typeof v === 'number' && v >= 0 && v <= 1, 'error_rate needs a probability from 0 to 1'],
  latency_multiplier: [
    (v) => typeof v === 'number' && v > 0 && v <= 1000,
    'latency_multiplier needs a factor above 0, at most 1000',
  ],
  capacity: [
    (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1_000_000,
    'capacity needs the jobs the node may run at once, a whole number from 0',
  ],
  duplicate: [
    (v) => v === undefined || (typeof v === 'number' && v >= 0 && v <= 1),
    'duplicate takes a probability from 0 to 1 (default 1)',
  ],
  delay: [isMs, 'delay needs a whole number of milliseconds'],
  reorder: [isMs, 'reorder needs a window in whole milliseconds'],
};

/**
 * A fault request checked field by field: `[spec]`, or `[undefined, field, reason]` naming the
 * field at fault. Shared by `POST /_sim/faults` and the config's timed scenarios.
 */
export function parseFaultSpec(body: unknown, catalog: Catalog): [FaultSpec] | [undefined, string, string] {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return [undefined, '(body)', 'must be a JSON object'];
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).find((k) => !FIELDS.has(k));
  if (extra !== undefined) return [undefined, extra, `is not a field of a fault (${[...FIELDS].join(', ')})`];
  const { target, kind, value, duration_ms, start_ms } = b;
  if (typeof target !== 'string')
    return [undefined, 'target', `is required: a node id (node47), model:<id> (model:imagen-4) or ${WEBHOOKS_TARGET}`];
  const webhooks = target === WEBHOOKS_TARGET;
  const named = target.startsWith('model:') ? target.slice(6) : undefined;
  // Any name a request accepts (id, alias, sub-model) targets that model, kept under its id.
  const ref = named === undefined ? undefined : catalog.resolve(named);
  if (!webhooks && (named !== undefined ? !ref : !catalog.nodes.has(target))) {
    const models = catalog.models.map((m) => `model:${m.id}`).join(', ');
    return [
      undefined,
      'target',
      `'${target.slice(0, 100)}' is no fault target: a node (${[...catalog.nodes.keys()].join(', ')}), a model by any name a request accepts (${models}, or an alias or sub-model such as model:imagen4), or ${WEBHOOKS_TARGET}`,
    ];
  }
  const kinds: readonly string[] = webhooks ? WEBHOOK_FAULT_KINDS : ref ? MODEL_FAULT_KINDS : NODE_FAULT_KINDS;
  if (typeof kind !== 'string' || !kinds.includes(kind))
    return [undefined, 'kind', `must be one of ${kinds.join(', ')} for this target`];
  const rule = VALUE_RULES[kind as FaultKind];
  if (rule && !rule[0](value)) return [undefined, 'value', rule[1]];
  if (value !== undefined && typeof value !== 'number') return [undefined, 'value', 'must be a number'];
  for (const [name, v] of [
    ['duration_ms', duration_ms],
    ['start_ms', start_ms],
  ] as const) {
    if (v !== undefined && !isMs(v))
      return [undefined, name, 'must be a whole number of milliseconds from 0 to one year'];
  }
  return [
    {
      target: ref ? `model:${ref.model.id}` : target,
      kind: kind as FaultKind,
      value: value,
      duration_ms: duration_ms as number | undefined,
      start_ms: start_ms as number | undefined,
    },
  ];
}
