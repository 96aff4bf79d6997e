import type { Catalog } from '../catalog/load-catalog.js';
import { FAULT_KINDS, type FaultKind, type FaultSpec } from './faults.js';

const MAX_MS = 365 * 24 * 3600 * 1000;
const FIELDS = new Set(['target', 'kind', 'value', 'duration_ms', 'start_ms']);

/**
 * A fault request checked field by field: `[spec]`, or `[undefined, field, reason]` naming the
 * field at fault. Shared by `POST /_sim/faults` and the config's timed scenarios.
 */
export function parseFaultSpec(body: unknown, catalog: Catalog): [FaultSpec] | [undefined, string, string] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [undefined, '(body)', 'must be a JSON object'];
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).find((k) => !FIELDS.has(k));
  if (extra !== undefined) return [undefined, extra, `is not a field of a fault (${[...FIELDS].join(', ')})`];
  const { target, kind, value, duration_ms, start_ms } = b;
  if (typeof target !== 'string') return [undefined, 'target', 'is required: a node id (node47) or model:<id> (model:imagen-4)'];
  const model = target.startsWith('model:') ? target.slice(6) : undefined;
  if (model !== undefined ? !catalog.model(model) : !catalog.nodes.has(target)) {
    return [undefined, 'target', `'${target.slice(0, 100)}' is no node (${[...catalog.nodes.keys()].join(', ')}) nor model:<id> of the catalog`];
  }
  if (typeof kind !== 'string' || !FAULT_KINDS.includes(kind as FaultKind)) return [undefined, 'kind', `must be one of ${FAULT_KINDS.join(', ')}`];
  if (kind === 'error_rate' && (typeof value !== 'number' || !(value >= 0 && value <= 1))) return [undefined, 'value', 'error_rate needs a probability from 0 to 1'];
  if (kind === 'latency_multiplier' && (typeof value !== 'number' || !(value > 0 && value <= 1000))) return [undefined, 'value', 'latency_multiplier needs a factor above 0, at most 1000'];
  if (value !== undefined && typeof value !== 'number') return [undefined, 'value', 'must be a number'];
  for (const [name, v] of [['duration_ms', duration_ms], ['start_ms', start_ms]] as const) {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_MS)) return [undefined, name, 'must be a whole number of milliseconds from 0 to one year'];
  }
  return [{ target, kind: kind as FaultKind, value: value as number | undefined, duration_ms: duration_ms as number | undefined, start_ms: start_ms as number | undefined }];
}
