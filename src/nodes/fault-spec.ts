import type { Catalog } from '../catalog/load-catalog.js';
import type { components } from '../generated/admin.js';
import { adminValidators, schemaProblem } from '../spec/admin-validators.js';
import {
  MODEL_FAULT_KINDS,
  NODE_FAULT_KINDS,
  WEBHOOK_FAULT_KINDS,
  WEBHOOKS_TARGET,
  type FaultKind,
  type FaultSpec,
} from './faults.js';

type Schemas = components['schemas'];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// The kinds are openapi/admin.yaml's: these fail to compile if faults.ts and the spec part ways.
const KINDS_MATCH: [
  Same<FaultKind, Schemas['FaultKind']>,
  Same<(typeof MODEL_FAULT_KINDS)[number], Schemas['ModelFaultKind']>,
  Same<(typeof NODE_FAULT_KINDS)[number], Schemas['NodeFaultKind']>,
  Same<(typeof WEBHOOK_FAULT_KINDS)[number], Schemas['WebhookFaultKind']>,
] = [true, true, true, true];
void KINDS_MATCH;

/**
 * A fault request checked: its shape against admin.yaml's `FaultRequest` (fields, kinds, each
 * kind's value, durations), then what only the catalog knows (does the target exist, does it take
 * that kind). `[spec]`, or `[undefined, field, reason]` naming the field at fault. Shared by
 * `POST /_sim/faults` (gwsim's and a node's) and the config's timed scenarios.
 */
export function parseFaultSpec(body: unknown, catalog: Catalog): [FaultSpec] | [undefined, string, string] {
  const problem = schemaProblem(adminValidators(), 'FaultRequest', body);
  if (problem) {
    const named = `'${problem.field}' `;
    return [
      undefined,
      problem.field,
      problem.message.startsWith(named) ? problem.message.slice(named.length) : problem.message,
    ];
  }
  const { target, kind, value, duration_ms, start_ms } = body as Schemas['FaultRequest'];
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
  if (!kinds.includes(kind)) return [undefined, 'kind', `must be one of ${kinds.join(', ')} for this target`];
  return [{ target: ref ? `model:${ref.model.id}` : target, kind, value, duration_ms, start_ms }];
}
