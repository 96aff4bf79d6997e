import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Catalog, ModelRef } from '../catalog/load-catalog.js';
import { describeRequirement, requestSchemaName } from '../catalog/request-schema.js';
import { describeError, type SpecValidators } from '../spec/validators.js';
import { errors } from './errors.js';

export interface ValidRequest {
  ref: ModelRef;
  /** The body as sent (validated). */
  body: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates generation requests with the spec's per-model schemas, compiled once. `model` picks
 * the branch first, so an error names the field at fault rather than listing eleven branches.
 */
export class RequestValidator {
  private readonly branches = new Map<string, ValidateFunction>();

  constructor(
    private readonly catalog: Catalog,
    validators: SpecValidators,
  ) {
    for (const model of catalog.models) this.branches.set(model.id, validators.schema(requestSchemaName(model)));
  }

  validate(body: unknown): ValidRequest {
    if (!isObject(body)) throw errors.invalidRequest('the body must be a JSON object');
    const name = body.model;
    if (name === undefined) throw errors.invalidRequest("'model' is required");
    if (typeof name !== 'string') throw errors.invalidRequest("'model' must be a string");
    const ref = this.catalog.resolve(name);
    if (!ref)
      throw errors.invalidRequest(
        `'model' names no model of this gateway: '${name.slice(0, 100)}' (see GET /api/v1/models)`,
      );
    const check = this.branches.get(ref.model.id)!;
    if (!check(body)) throw errors.invalidRequest(`${this.reason(ref, check.errors![0]!)} (model ${ref.model.id})`);
    return { ref, body };
  }

  /** A failed `allOf[i]` is the catalog's i-th conditional requirement: say which condition asked for the field. */
  private reason(ref: ModelRef, error: ErrorObject): string {
    const m = /\/allOf\/(\d+)\/then\/required$/.exec(error.schemaPath);
    const req = m ? ref.model.requires?.filter((r) => r.when)[Number(m[1])] : undefined;
    return req ? describeRequirement(req) : describeError(error);
  }
}
