import { readFileSync } from 'node:fs';
import type { JudgedCheck } from './report.js';

export type { JudgedCheck };

const TARGET = { higher: '≥ ', lower: '< ', 'at-most': '≤ ' } as const;

const cell = (c: JudgedCheck | undefined): string =>
  c === undefined || !Number.isFinite(c.value)
    ? '–'
    : `${c.value.toFixed(2)}${c.met === false ? ' (missed)' : c.noisy ? ' (noisy)' : ''}${c.note ? ` ${c.note.replace(/\|/g, '/')}` : ''}`;

/**
 * The README's benchmark table from two `gwsim bench --json` files of one machine: a row per
 * measure (in the order of `after`, then any only `before` has), its value before and after, and
 * its target. Pure: the caller reads the files (`readChecks`).
 */
export function compareTable(before: readonly JudgedCheck[], after: readonly JudgedCheck[]): string {
  const names = [...new Set([...after.map((c) => c.name), ...before.map((c) => c.name)])];
  const rows = names.map((name) => {
    const b = before.find((c) => c.name === name);
    const a = after.find((c) => c.name === name);
    const judged = a ?? b;
    const target = judged && judged.better !== 'report' ? `${TARGET[judged.better]}${judged.target}` : '(reported)';
    return `| ${name} | ${cell(b)} | ${cell(a)} | ${target} |`;
  });
  return ['| measure | before | after | target |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}

/** The measures of a `gwsim bench --json` file; throws naming the file when it holds none. */
export function readChecks(file: string): JudgedCheck[] {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { checks?: unknown };
  if (!Array.isArray(json.checks)) throw new Error(`${file} is not a gwsim bench --json file (no "checks")`);
  return json.checks as JudgedCheck[];
}
