import { writeFileSync } from 'node:fs';
import type { Row } from './plan.js';

/** One measure and its target: `higher` (≥ target), `lower` (< target), `at-most` (≤ target), or only `report`ed. */
export interface Check {
  name: string;
  value: number;
  target: number;
  better: 'higher' | 'lower' | 'at-most' | 'report';
  /** Printed after the value: what it is a ratio of, its raw figures. */
  note?: string;
  /**
   * A ratio's baseline, each run of it within the step (bare's rounds, say): when its slowest is
   * under STEADY of its fastest, the machine's own speed moved more than the ratio can tell apart,
   * and the measure is printed as `noisy`, neither a pass nor a miss.
   */
  baseline?: readonly number[];
}

/** A measure as judged: `met` null when only reported, unmeasured, or `noisy`. */
export type JudgedCheck = Omit<Check, 'baseline'> & {
  met: boolean | null;
  /** The baseline's slowest run ÷ its fastest, when the ratio has one. */
  steadiness?: number;
  noisy?: true;
};

/**
 * The baseline's slowest run ÷ its fastest, under which a ratio is not judged. On this project's
 * 2-core VM a quiet stretch keeps bare's rounds within about 10% of each other; busy neighbours
 * moved them 2× within one step, and a ratio then passed or missed by the machine, not by gwsim.
 */
export const STEADY = 0.8;

const steadinessOf = (rates: readonly number[]): number =>
  rates.length === 0 ? 1 : Math.min(...rates) / Math.max(...rates);

// A step that measured nothing (a ratio to 0 req/s) passes no target.
export function judge(c: Check): JudgedCheck {
  const { baseline, ...check } = c;
  const steadiness = baseline && steadinessOf(baseline);
  const noisy = c.better !== 'report' && steadiness !== undefined && !(steadiness >= STEADY);
  const met =
    !Number.isFinite(c.value) || noisy
      ? null
      : {
          report: null,
          higher: c.value >= c.target,
          lower: c.value < c.target,
          'at-most': c.value <= c.target,
        }[c.better];
  return {
    ...check,
    met,
    ...(steadiness !== undefined ? { steadiness: Number(steadiness.toFixed(3)) } : {}),
    ...(noisy ? { noisy: true as const } : {}),
  };
}

/** The rows and the measures, as the bench prints them: every target a pass, miss or noisy line, never a failure. */
export function printReport(out: NodeJS.WritableStream, rows: readonly Row[], checks: readonly Check[]): void {
  out.write('\ntarget              scenario  req/s    p99 ms  errors\n');
  for (const r of rows)
    out.write(
      `${r.target.padEnd(20)}${r.scenario.padEnd(10)}${String(r.rps).padEnd(9)}${r.p99_ms.toFixed(2).padEnd(8)}${r.errors}\n`,
    );
  out.write('\nmeasure                              value     target      met\n');
  for (const c of checks.map(judge)) {
    const target =
      c.better === 'report'
        ? '(reported)'
        : { higher: '≥ ', lower: '< ', 'at-most': '≤ ' }[c.better] + String(c.target);
    const met = c.noisy ? 'noisy' : c.met === null ? '' : c.met ? 'pass' : 'MISS';
    const why = c.noisy ? ` (baseline's slowest run ${c.steadiness?.toFixed(2)} of its fastest)` : '';
    out.write(
      `${c.name.padEnd(37)}${c.value.toFixed(2).padEnd(10)}${target.padEnd(12)}${met.padEnd(5)}${c.note ? ` ${c.note}` : ''}${why}`.trimEnd() +
        '\n',
    );
  }
  if (checks.map(judge).some((c) => c.noisy))
    out.write(
      `\nnoisy: the baseline's own rate moved by more than ${Math.round((1 - STEADY) * 100)}% within the step, so the ratio is not judged; run the bench again on a quieter machine\n`,
    );
}

export function writeJson(
  file: string,
  summary: Record<string, unknown>,
  rows: readonly Row[],
  checks: readonly Check[],
): void {
  writeFileSync(file, JSON.stringify({ ...summary, rows, checks: checks.map(judge) }, null, 2));
}
