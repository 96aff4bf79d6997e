import type { ModelFigures } from '../catalog/figures.js';
import type { ReplayResult } from './replay.js';
import type { Exchange, Session } from './session.js';
import { compareShapes, type ShapeDifference } from './shape.js';
import {
  isCreate,
  outcomeOf,
  priceObservations,
  quantile,
  requestedModel,
  taskIdOf,
  taskTracks,
  type TaskTrack,
} from './tasks.js';

/** Fewer completed tasks of a model than this, and its timings are not judged (nor fitted by calibrate). */
export const MIN_SAMPLES = 5;
/** A recorded quantile this far from the simulator's (relative, and at least TIMING_FLOOR_MS) is a gap. */
export const TIMING_TOLERANCE = 0.25;
export const TIMING_FLOOR_MS = 50;

/** Headers whose presence (and for Idempotent-Replayed, value) clients rely on. */
const HEADERS = ['ratelimit', 'ratelimit-policy', 'retry-after', 'idempotent-replayed'];
const HEADER_NAMES: Record<string, string> = {
  ratelimit: 'RateLimit',
  'ratelimit-policy': 'RateLimit-Policy',
  'retry-after': 'Retry-After',
  'idempotent-replayed': 'Idempotent-Replayed',
};

export interface Difference {
  route: string;
  /** The catalog model of the call, or `-`. */
  model: string;
  kind: ShapeDifference['kind'] | 'status' | 'content-type' | 'header';
  path?: string;
  recorded?: string;
  simulator?: string;
  /** Calls that showed it. */
  count: number;
  /** HAR entry indexes of the first few. */
  entries: number[];
}

export interface Quantiles3 {
  p5: number;
  p50: number;
  p95: number;
}

export interface TimingRow {
  model: string;
  samples: number;
  recorded?: Quantiles3;
  simulator?: Quantiles3;
  gap: boolean;
  note?: string;
}

export interface PriceRow {
  /** The model as asked for (a sub-model has its own price). */
  model: string;
  recorded: number[];
  simulator?: number;
  differs: boolean;
}

export interface DiffReport {
  har: string;
  against: string;
  clock: 'real' | 'manual';
  entries: { total: number; replayed: number; skipped: number; webhooks: number };
  /** Calls compared per route, so a clean route shows as compared. */
  routes: Record<string, number>;
  differences: Difference[];
  timings: TimingRow[];
  prices: PriceRow[];
  notes: string[];
  structural: number;
  priceDifferences: number;
  timingGaps: number;
  verdict: 'same' | 'timings-only' | 'different';
}

export interface CompareOptions {
  ignored: (path: string) => boolean;
  /** Paths whose recorded values must be among the spec's (the task status, the error type). */
  enums: ReadonlyMap<string, readonly string[]>;
}

/** The enums of the spec a recording is held to: task statuses and error types, in either body shape. */
export function specEnums(schemas: Record<string, unknown>): Map<string, readonly string[]> {
  const values = (name: string) => (schemas[name] as { enum?: string[] } | undefined)?.enum;
  const statuses = values('TaskStatus');
  const types = values('ErrorType');
  return new Map([
    ...(statuses
      ? ([
          ['$.data.status', statuses],
          ['$.status', statuses],
        ] as const)
      : []),
    ...(types ? ([['$.error.type', types]] as const) : []),
  ]);
}

/** The catalog model a requested name selects, or the name itself. */
export function modelIdOf(figures: readonly ModelFigures[], name: string): string {
  return figures.find((f) => f.names.includes(name))?.id ?? name;
}

/** The simulator's completion quantiles: p5 and p95 from its catalog, p50 the median of the log-normal through them. */
export function catalogQuantiles(f: ModelFigures): Quantiles3 {
  const { p5, p95 } = f.latency_ms;
  return { p5, p50: p5 > 0 ? Math.round(Math.sqrt(p5 * p95)) : p95 / 2, p95 };
}

export function completionQuantiles(samples: readonly number[]): Quantiles3 {
  const s = [...samples].sort((a, b) => a - b);
  return { p5: Math.round(quantile(s, 0.05)), p50: Math.round(quantile(s, 0.5)), p95: Math.round(quantile(s, 0.95)) };
}

/** `1 answer`, `3 answers`. */
export const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const differs = (a: number, b: number) => Math.abs(a - b) > Math.max(TIMING_FLOOR_MS, TIMING_TOLERANCE * b);

function pairDifferences(
  rec: Exchange,
  sim: Exchange,
  options: CompareOptions,
): Array<Omit<Difference, 'route' | 'model' | 'count' | 'entries'>> {
  if (rec.status !== sim.status)
    return [{ kind: 'status', recorded: String(rec.status), simulator: String(sim.status) }];
  const out: Array<Omit<Difference, 'route' | 'model' | 'count' | 'entries'>> = [];
  if (rec.contentType && sim.contentType && rec.contentType !== sim.contentType)
    out.push({ kind: 'content-type', recorded: rec.contentType, simulator: sim.contentType });
  for (const h of HEADERS) {
    const [r, s] = [rec.responseHeaders.get(h), sim.responseHeaders.get(h)];
    if ((r === undefined) !== (s === undefined))
      out.push({
        kind: 'header',
        path: HEADER_NAMES[h]!,
        recorded: r === undefined ? 'absent' : 'present',
        simulator: s === undefined ? 'absent' : 'present',
      });
    else if (h === 'idempotent-replayed' && r !== s)
      out.push({ kind: 'header', path: HEADER_NAMES[h]!, recorded: r!, simulator: s! });
  }
  // A task that ended otherwise (seeded outcomes) has another shape by design: only its status is held.
  const [ro, so] = [outcomeOf(rec.json), outcomeOf(sim.json)];
  if (ro && so && ro !== so) return out;
  if (rec.json !== undefined && sim.json !== undefined) {
    const success = rec.status < 300;
    const values = new Set(['$.code', '$.error.code', '$.error.type', ...(success ? ['$.message'] : [])]);
    out.push(...compareShapes(rec.json, sim.json, { ignored: options.ignored, values, enums: options.enums }));
  }
  return out;
}

/** Hold a recording against its replay: structure per call, timings and prices per model. */
export function diffSession(
  session: Session,
  replayed: ReplayResult,
  against: string,
  options: CompareOptions,
): DiffReport {
  const { figures } = replayed;
  const tracks = taskTracks(session);
  const byId = new Map(tracks.map((t) => [t.id, t]));
  const modelOfCall = (x: Exchange): string => {
    const track: TaskTrack | undefined =
      byId.get(taskIdOf(x.json) ?? '') ?? byId.get(decodeURIComponent(x.path.split('?')[0]!.split('/')[2] ?? ''));
    const asked = track?.model ?? (isCreate(x) ? requestedModel(x) : undefined);
    return asked ? modelIdOf(figures, asked) : '-';
  };
  const grouped = new Map<string, Difference>();
  const add = (
    route: string,
    model: string,
    d: Omit<Difference, 'route' | 'model' | 'count' | 'entries'>,
    entry: number,
  ) => {
    const id = [route, model, d.kind, d.path, d.recorded, d.simulator].join('\u0000');
    const seen = grouped.get(id);
    if (seen) {
      seen.count++;
      if (seen.entries.length < 5) seen.entries.push(entry);
    } else grouped.set(id, { route, model, ...d, count: 1, entries: [entry] });
  };
  const routes: Record<string, number> = {};
  const notes: string[] = [];
  let outcomes = 0;
  for (const rec of session.exchanges) {
    const sim = replayed.answers.get(rec.index);
    if (!sim) continue;
    routes[rec.route] = (routes[rec.route] ?? 0) + 1;
    const [ro, so] = [outcomeOf(rec.json), outcomeOf(sim.json)];
    if (ro && so && ro !== so) outcomes++;
    for (const d of pairDifferences(rec, sim, options)) add(rec.route, modelOfCall(rec), d, rec.index);
  }
  if (outcomes > 0)
    notes.push(
      `${count(outcomes, 'answer')} showed a task ended otherwise than recorded (outcomes are drawn by the seed): their bodies were not compared`,
    );

  // Webhook payloads: each recorded delivery against the simulator's first.
  const firstDelivery = replayed.deliveries[0];
  if (session.webhooks.length > 0) {
    routes['POST (webhook)'] = session.webhooks.length;
    if (!firstDelivery)
      notes.push(
        `${count(session.webhooks.length, 'webhook delivery', 'webhook deliveries')} recorded, none from the simulator`,
      );
    else {
      for (const w of session.webhooks) {
        for (const d of compareShapes(w.json, firstDelivery.json, {
          ignored: options.ignored,
          values: new Set(['$.code']),
          enums: options.enums,
        })) {
          add('POST (webhook)', modelOfCall(w), d, w.index);
        }
      }
    }
  }
  if (replayed.unfinished.length > 0)
    notes.push(
      `${count(replayed.unfinished.length, 'replayed task')} had not ended when their recorded counterparts had: ${replayed.unfinished.slice(0, 3).join(', ')}`,
    );

  // Timings per catalog model.
  const samples = new Map<string, number[]>();
  for (const t of tracks)
    if (t.completionMs !== undefined)
      samples.set(modelIdOf(figures, t.model), [...(samples.get(modelIdOf(figures, t.model)) ?? []), t.completionMs]);
  const timings: TimingRow[] = [...samples].map(([model, ms]) => {
    const f = figures.find((x) => x.id === model);
    const recorded = completionQuantiles(ms);
    if (!f) return { model, samples: ms.length, recorded, gap: false, note: 'not in the simulator catalog' };
    const simulator = catalogQuantiles(f);
    if (ms.length < MIN_SAMPLES)
      return {
        model,
        samples: ms.length,
        recorded,
        simulator,
        gap: false,
        note: `too few samples to judge (need ${MIN_SAMPLES})`,
      };
    const gap =
      differs(recorded.p5, simulator.p5) ||
      differs(recorded.p50, simulator.p50) ||
      differs(recorded.p95, simulator.p95);
    return { model, samples: ms.length, recorded, simulator, gap };
  });

  // Prices: what the recorded balance changes say each model cost, against the simulator's catalog.
  const observed = new Map<string, number[]>();
  for (const o of priceObservations(session, tracks))
    observed.set(o.model, [...(observed.get(o.model) ?? []), o.creditsPerImage]);
  const prices: PriceRow[] = [...observed].map(([model, seen]) => {
    const f = figures.find((x) => x.names.includes(model));
    const simulator = f ? (f.credits[model] ?? f.credits[f.default_sub_model]) : undefined;
    const recorded = [...new Set(seen.map((p) => Math.round(p * 100) / 100))].sort((a, b) => a - b);
    return {
      model,
      recorded,
      ...(simulator !== undefined ? { simulator } : {}),
      differs: simulator === undefined || recorded.some((p) => p !== simulator),
    };
  });

  const differences = [...grouped.values()];
  const structural = differences.length;
  const priceDifferences = prices.filter((p) => p.differs).length;
  const timingGaps = timings.filter((t) => t.gap).length;
  return {
    har: session.source,
    against,
    clock: replayed.clock,
    entries: {
      total: session.total,
      replayed: replayed.answers.size,
      skipped: session.skipped,
      webhooks: session.webhooks.length,
    },
    routes,
    differences,
    timings,
    prices,
    notes,
    structural,
    priceDifferences,
    timingGaps,
    verdict: structural + priceDifferences > 0 ? 'different' : timingGaps > 0 ? 'timings-only' : 'same',
  };
}
