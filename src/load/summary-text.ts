import type { Progress } from './run-driver.js';
import type { LoadReport } from './report.js';
import { PHASES } from './thresholds.js';

const n = (x: number, digits = 1): string => (Number.isInteger(x) ? String(x) : x.toFixed(digits));
const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
const statuses = (m: Record<string, number>): string =>
  Object.entries(m)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, c]) => `${s}×${c}`)
    .join(' ') || '-';

/** The report as a person reads it in a terminal. */
export function summaryText(r: LoadReport): string {
  const lines: string[] = [];
  const shard = r.shards.length > 0 ? ` (shards ${r.shards.join(', ')})` : '';
  lines.push(
    `gwsim load: '${r.scenario.name}' against ${r.target}${shard}, seed ${r.scenario.seed}, ${n(r.elapsed_ms / 1000, 2)} s`,
  );
  lines.push(
    `arrivals    scheduled ${r.arrivals.scheduled}  started ${r.arrivals.started}  dropped ${r.arrivals.dropped}`,
  );
  const j = r.journeys;
  lines.push(
    `journeys    completed ${j.completed + j.accepted}  failed ${j.failed}  errors ${j.error}  timeouts ${j.timeout}  interrupted ${j.interrupted}  (${n(r.rates.journeys_per_s)}/s)`,
  );
  lines.push(
    `requests    submit ${statuses(r.requests.submit)}  poll ${statuses(r.requests.poll)}  download ${statuses(r.requests.download)}  (${n(r.rates.requests_per_s)}/s)`,
  );
  lines.push(
    `rates       errors ${pct(r.rates.error_rate)}  http errors ${pct(r.rates.http_error_rate)}  task failures ${pct(r.rates.task_failure_rate)}  dropped ${pct(r.rates.dropped_rate)}`,
  );
  lines.push('latency ms    count      p50        p90        p99        max');
  for (const phase of PHASES) {
    const s = r.latency[phase].all;
    if (s.count === 0) continue;
    lines.push(
      `  ${phase.padEnd(12)}${String(s.count).padEnd(11)}${n(s.p50_ms, 2).padEnd(11)}${n(s.p90_ms, 2).padEnd(11)}${n(s.p99_ms, 2).padEnd(11)}${n(s.max_ms, 2)}`,
    );
  }
  const codes = Object.entries(r.error_codes).sort(([, a], [, b]) => b - a);
  if (codes.length > 0) lines.push(`errors      ${codes.map(([c, k]) => `${c} ${k}`).join(', ')}`);
  const c = r.credits;
  const balance =
    c.balance_before !== null && c.balance_after !== null ? `  balance ${c.balance_before} → ${c.balance_after}` : '';
  const seen = r.tasks.completed + r.tasks.failed;
  // Submit journeys never see their task end, so their charges are in the balance, not in these.
  const over = r.journey_kinds.submit > 0 ? `  (over the ${seen} tasks seen to end)` : '';
  lines.push(
    `credits     expected ${c.expected}  charged ${c.charged}${c.expected === c.charged ? '' : '  MISMATCH'}${balance}${over}`,
  );
  const w = r.webhooks;
  if (r.journey_kinds.webhook > 0)
    lines.push(
      `webhooks    received ${w.received}  invalid ${w.invalid}  duplicates ${w.duplicates}  late ${w.late}  unmatched ${w.unmatched}`,
    );
  if (r.thresholds.length > 0) {
    lines.push('thresholds');
    for (const t of r.thresholds)
      lines.push(`  ${t.ok ? 'ok  ' : 'FAIL'} ${t.expression}  (${t.value === null ? 'no samples' : n(t.value, 4)})`);
  }
  return `${lines.join('\n')}\n`;
}

/** One line, rewritten in place on a terminal. */
export function progressLine(p: Progress): string {
  const p99 = p.p99SubmitMs === null ? '-' : `${p.p99SubmitMs.toFixed(1)}ms`;
  return `${(p.elapsedMs / 1000).toFixed(1)}/${+(p.durationMs / 1000).toFixed(1)}s  started ${p.started}  in flight ${p.inFlight}  ok ${p.completed}  failed ${p.failed}  errors ${p.errors}  p99 submit ${p99}`;
}
