import { Document, isMap, isScalar } from 'yaml';
import type { ModelFigures } from '../catalog/figures.js';
import type { ConfigFile, ModelOverride } from '../config/config-schema.js';
import { completionQuantiles, MIN_SAMPLES, modelIdOf } from '../record/diff.js';
import type { Session } from '../record/session.js';
import { payload, priceObservations, taskTracks } from '../record/tasks.js';

/** What a recording says about one catalog model, and what of it is fitted. */
export interface ModelFit {
  model: string;
  /** Tasks seen ending (the latency and failure samples). */
  ended: number;
  failed: number;
  latency_ms?: { p5: number; p95: number };
  failure_rate?: number;
  /** Credits per sub-model, from balance changes that agree. */
  credits?: Record<string, number>;
  /** Why the model's timings were not fitted. */
  refused?: string;
}

/** An error answer as recorded: which status each kind of error got. */
export interface ObservedError {
  route: string;
  status: number;
  type: string;
  count: number;
}

export interface Calibration {
  source: string;
  fits: ModelFit[];
  errors: ObservedError[];
  minSamples: number;
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

/** The error's kind in either shape: the docs' `{"error": {type}}`, or an envelope's code. */
function errorKind(json: unknown): string {
  const body = json && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  const error = body.error && typeof body.error === 'object' ? (body.error as Record<string, unknown>) : undefined;
  return str(error?.type) ?? str(error?.code) ?? str(payload(json)?.type) ?? '(no type)';
}

/** Fit per-model latency, failure rate and prices from a recording; a model with fewer than `minSamples` ended tasks is left alone. */
export function calibrate(session: Session, figures: readonly ModelFigures[], minSamples = MIN_SAMPLES): Calibration {
  const tracks = taskTracks(session);
  const byModel = new Map<string, typeof tracks>();
  for (const t of tracks) {
    if (!t.end) continue;
    const id = modelIdOf(figures, t.model);
    byModel.set(id, [...(byModel.get(id) ?? []), t]);
  }
  const prices = new Map<string, Set<number>>();
  for (const o of priceObservations(session, tracks))
    prices.set(o.model, (prices.get(o.model) ?? new Set()).add(o.creditsPerImage));

  const fits: ModelFit[] = [...byModel].map(([model, ended]) => {
    const failed = ended.filter((t) => t.end!.outcome === 'FAILED').length;
    const f = figures.find((x) => x.id === model);
    const fit: ModelFit = { model, ended: ended.length, failed };
    if (!f) return { ...fit, refused: 'not a model of the simulator catalog' };
    const credits: Record<string, number> = {};
    for (const [name, seen] of prices) {
      const sub = f.credits[name] !== undefined ? name : f.names.includes(name) ? f.default_sub_model : undefined;
      const [only] = seen;
      if (sub && seen.size === 1 && Number.isInteger(only) && only! > 0) credits[sub] = only!;
    }
    if (Object.keys(credits).length > 0) fit.credits = credits;
    if (ended.length < minSamples)
      return {
        ...fit,
        refused: `${ended.length} task${ended.length === 1 ? '' : 's'} seen ending, fewer than ${minSamples}: catalog timings kept`,
      };
    const q = completionQuantiles(ended.map((t) => t.completionMs!));
    return {
      ...fit,
      latency_ms: { p5: q.p5, p95: q.p95 },
      failure_rate: Math.round((failed / ended.length) * 1e4) / 1e4,
    };
  });

  const errors = new Map<string, ObservedError>();
  for (const x of session.exchanges) {
    if (x.status < 400) continue;
    const type = errorKind(x.json);
    const id = `${x.route} ${x.status} ${type}`;
    const e = errors.get(id) ?? { route: x.route, status: x.status, type, count: 0 };
    e.count++;
    errors.set(id, e);
  }
  return { source: session.source, fits, errors: [...errors.values()], minSamples };
}

/** The calibration as a gwsim config: fitted figures as `models:` overrides, the evidence as comments. */
export function calibrationYaml(c: Calibration): string {
  const models: Record<string, ModelOverride> = {};
  for (const f of c.fits) {
    const o: ModelOverride = {
      ...(f.latency_ms ? { latency_ms: f.latency_ms } : {}),
      ...(f.failure_rate !== undefined ? { failure_rate: f.failure_rate } : {}),
      ...(f.credits ? { credits: f.credits } : {}),
    };
    if (Object.keys(o).length > 0) models[f.model] = o;
  }
  const config: ConfigFile = { models };
  const doc = new Document(config);
  const header = [
    ` gwsim.config.yaml calibrated from ${c.source} by gwsim calibrate.`,
    ` latency_ms: completion (create → the answer that showed the task ended), its 5th and 95th percentiles;`,
    ` failure_rate: failed ÷ ended. Fitted from ${c.minSamples} or more tasks per model.`,
    ...c.fits.filter((f) => f.refused).map((f) => ` ${f.model}: not fitted: ${f.refused}`),
    ...(c.errors.length > 0
      ? [
          ' Errors seen (status, type, route, how often):',
          ...c.errors.map((e) => `   ${e.status} ${e.type}  ${e.route}  ×${e.count}`),
        ]
      : []),
  ];
  doc.commentBefore = header.join('\n');
  const node = doc.get('models', true);
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = pair.key;
      if (!isScalar(k)) continue;
      const f = c.fits.find((x) => x.model === k.value);
      if (f)
        k.commentBefore = ` ${f.ended} tasks ended, ${f.failed} failed${f.refused ? ` (timings not fitted: ${f.refused})` : ''}`;
    }
  }
  return doc.toString();
}
