/** Latency phases, each measured from the arrival's intended send time except download. */
export const PHASES = ['submit', 'completion', 'download', 'journey'] as const;
export type Phase = (typeof PHASES)[number];

export const RATE_METRICS = ['error_rate', 'http_error_rate', 'task_failure_rate', 'dropped_rate'] as const;
export const COUNT_METRICS = ['dropped', 'errors', 'credit_mismatch'] as const;
export type RateMetric = (typeof RATE_METRICS)[number];
export type CountMetric = (typeof COUNT_METRICS)[number];

export type Op = '<' | '<=' | '>' | '>=' | '==';
export type LatencyStat = { kind: 'percentile'; p: number } | { kind: 'avg' | 'min' | 'max' };

export type Threshold = { expression: string; op: Op; limit: number } & (
  | { metric: 'latency'; stat: LatencyStat; phase: Phase; model?: string }
  | { metric: RateMetric }
  | { metric: CountMetric }
);

/** What thresholds are judged against: latencies in ms, rates as fractions; null = no samples. */
export interface MetricSource {
  latency(phase: Phase, model: string | undefined, stat: LatencyStat): number | null;
  rate(metric: RateMetric): number | null;
  /** null when the count has no samples: `credit_mismatch` of a run that saw no task end. */
  count(metric: CountMetric): number | null;
}

export interface ThresholdResult {
  expression: string;
  value: number | null;
  ok: boolean;
}

const FORM =
  /^\s*(?:(p\d{1,2}(?:\.\d+)?|p100|avg|mean|min|max|med)\(\s*([a-z]+)\s*(?::\s*([^)\s]+)\s*)?\)|([a-z_]+))\s*(<=|>=|==|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|s|m|%)?\s*$/;
const LATENCY_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/**
 * Parse `p99(submit) < 300ms`, `p95(completion:imagen4) < 8s`, `avg(download) < 50ms`,
 * `error_rate < 1%`, `dropped == 0`. Returns the threshold or why it is not one.
 */
export function parseThreshold(expression: string, models: readonly string[]): Threshold | string {
  const m = FORM.exec(expression);
  if (!m) return `'${expression}' is not a threshold like 'p99(submit) < 300ms' or 'error_rate < 1%'`;
  const [, fn, phase, model, name, opText, num, unit] = m;
  const op = opText as Op;
  const value = Number(num);
  if (fn !== undefined) {
    if (!(PHASES as readonly string[]).includes(phase!))
      return `unknown phase '${phase}' (one of ${PHASES.join(', ')})`;
    if (model !== undefined && !models.includes(model))
      return `model '${model}' is not in the mix (${models.join(', ')})`;
    if (unit === '%') return `a latency takes ms, s or m, not %`;
    const stat: LatencyStat =
      fn === 'avg' || fn === 'mean'
        ? { kind: 'avg' }
        : fn === 'min' || fn === 'max'
          ? { kind: fn }
          : { kind: 'percentile', p: fn === 'med' ? 50 : Number(fn.slice(1)) };
    if (stat.kind === 'percentile' && stat.p > 100) return `percentile ${stat.p} is above 100`;
    return {
      expression,
      op,
      limit: value * LATENCY_UNITS[unit ?? 'ms']!,
      metric: 'latency',
      stat,
      phase: phase as Phase,
      ...(model !== undefined ? { model } : {}),
    };
  }
  if ((RATE_METRICS as readonly string[]).includes(name!)) {
    if (unit !== undefined && unit !== '%') return `${name} is a fraction (0.01) or a percentage (1%), not ${unit}`;
    return { expression, op, limit: unit === '%' ? value / 100 : value, metric: name as RateMetric };
  }
  if ((COUNT_METRICS as readonly string[]).includes(name!)) {
    if (unit !== undefined) return `${name} is a count and takes no unit`;
    return { expression, op, limit: value, metric: name as CountMetric };
  }
  return `unknown metric '${name}' (latency: p99(phase), avg(phase), max(phase); or one of ${[...RATE_METRICS, ...COUNT_METRICS].join(', ')})`;
}

const compare = (value: number, op: Op, limit: number): boolean =>
  op === '<'
    ? value < limit
    : op === '<='
      ? value <= limit
      : op === '>'
        ? value > limit
        : op === '>='
          ? value >= limit
          : value === limit;

/** Judge each threshold; one without samples fails, since nothing shows it holds. */
export function evaluateThresholds(thresholds: readonly Threshold[], source: MetricSource): ThresholdResult[] {
  return thresholds.map((t) => {
    const value =
      t.metric === 'latency'
        ? source.latency(t.phase, t.model, t.stat)
        : t.metric === 'dropped' || t.metric === 'errors' || t.metric === 'credit_mismatch'
          ? source.count(t.metric)
          : source.rate(t.metric);
    return { expression: t.expression, value, ok: value !== null && compare(value, t.op, t.limit) };
  });
}
