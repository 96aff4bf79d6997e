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
 * Validates generation requests with the spec's per-model schemas. `model` picks the branch first,
 * so an error names the field at fault rather than listing eleven branches. Each branch is
 * compiled on its model's first request (compiling all of them cost ~100 ms of start-up); that
 * the spec has one for every model is checked at once.
 */
export class RequestValidator {
  private readonly branches = new Map<string, ValidateFunction>();

  constructor(
    private readonly catalog: Catalog,
    private readonly validators: SpecValidators,
  ) {
    const missing = catalog.models.filter((m) => !(requestSchemaName(m) in validators.doc.components.schemas));
    if (missing.length > 0)
      throw new Error(`the spec has no request schema for ${missing.map((m) => requestSchemaName(m)).join(', ')}`);
  }

  private branch(model: ModelRef['model']): ValidateFunction {
    let check = this.branches.get(model.id);
    if (!check) this.branches.set(model.id, (check = this.validators.schema(requestSchemaName(model))));
    return check;
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
    const check = this.branch(ref.model);
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
