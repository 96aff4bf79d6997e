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
}

// A step that measured nothing (a ratio to 0 req/s) passes no target.
const judged = (c: Check) => ({
  ...c,
  met: !Number.isFinite(c.value)
    ? null
    : {
        report: null,
        higher: c.value >= c.target,
        lower: c.value < c.target,
        'at-most': c.value <= c.target,
      }[c.better],
});

/** The rows and the measures, as the bench prints them: every target a pass or miss line, never a failure. */
export function printReport(out: NodeJS.WritableStream, rows: readonly Row[], checks: readonly Check[]): void {
  out.write('\ntarget              scenario  req/s    p99 ms  errors\n');
  for (const r of rows)
    out.write(
      `${r.target.padEnd(20)}${r.scenario.padEnd(10)}${String(r.rps).padEnd(9)}${r.p99_ms.toFixed(2).padEnd(8)}${r.errors}\n`,
    );
  out.write('\nmeasure                              value     target      met\n');
  for (const c of checks.map(judged)) {
    const target =
      c.better === 'report'
        ? '(reported)'
        : { higher: '≥ ', lower: '< ', 'at-most': '≤ ' }[c.better] + String(c.target);
    const met = c.met === null ? '' : c.met ? 'pass' : 'MISS';
    out.write(
      `${c.name.padEnd(37)}${c.value.toFixed(2).padEnd(10)}${target.padEnd(12)}${met.padEnd(5)}${c.note ? ` ${c.note}` : ''}`.trimEnd() +
        '\n',
    );
  }
}

export function writeJson(
  file: string,
  summary: Record<string, unknown>,
  rows: readonly Row[],
  checks: readonly Check[],
): void {
  writeFileSync(file, JSON.stringify({ ...summary, rows, checks: checks.map(judged) }, null, 2));
}
