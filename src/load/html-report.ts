import { decodeHistogram, type LatencyStats } from './histograms.js';
import { CHART_SCRIPT } from './html-charts.js';
import type { LoadReport } from './report.js';
import { PHASES } from './thresholds.js';

/** Percentiles the latency curves are drawn through. */
const CURVE = [0, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100];

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(2)}%`);
const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2));

function table(head: string[], rows: Array<Array<string | number>>): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows
    .map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'number' ? num(c) : esc(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr || `<tr><td colspan="${head.length}">none</td></tr>`}</tbody></table>`;
}

const latencyRow = (name: string, s: LatencyStats): Array<string | number> => [
  name,
  s.count,
  s.min_ms,
  s.mean_ms,
  s.p50_ms,
  s.p90_ms,
  s.p95_ms,
  s.p99_ms,
  s.p999_ms,
  s.max_ms,
];
const LATENCY_HEAD = ['', 'count', 'min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'];

/** What the page's script draws: percentile curves read from the histograms, and the timeline. */
function chartData(r: LoadReport) {
  const phases = PHASES.filter((p) => r.latency[p].all.count > 0).map((p) => {
    const h = decodeHistogram(r.latency[p].all.hdr);
    return { name: p, curve: CURVE.map((q) => [q, Math.min(h.getValueAtPercentile(q), h.maxValue) / 1000]) };
  });
  return { phases, timeline: r.timeline };
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; color: #111827; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #e5e7eb; }
.sub { color: #6b7280; } .verdict { display: inline-block; padding: .2rem .6rem; border-radius: 4px; font-weight: 600; }
.pass { background: #dcfce7; color: #166534; } .fail { background: #fee2e2; color: #991b1b; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { padding: .25rem .7rem; text-align: right; border-bottom: 1px solid #f3f4f6; }
th:first-child, td:first-child { text-align: left; } th { background: #f9fafb; }
.cards { display: flex; flex-wrap: wrap; gap: .8rem; } .card { border: 1px solid #e5e7eb; border-radius: 6px; padding: .5rem .9rem; min-width: 8rem; }
.card b { display: block; font-size: 1.3rem; } svg.chart { width: 100%; height: auto; border: 1px solid #e5e7eb; border-radius: 6px; }
svg .grid line { stroke: #e5e7eb; } svg text { font-size: 11px; fill: #374151; } svg .label { font-size: 12px; fill: #6b7280; }
svg .legend { font-size: 12px; } svg .empty { font-size: 16px; fill: #9ca3af; }
`;

/** A self-contained HTML page for the report: tables, and SVG charts drawn by an inline script. */
export function htmlReport(r: LoadReport): string {
  const j = r.journeys;
  const cards: Array<[string, string]> = [
    ['journeys started', String(r.arrivals.started)],
    ['ended ok', String(j.completed + j.accepted)],
    ['error rate', pct(r.rates.error_rate)],
    ['dropped', String(r.arrivals.dropped)],
    ['p99 submit', `${num(r.latency.submit.all.p99_ms)} ms`],
    ['p99 completion', `${num(r.latency.completion.all.p99_ms)} ms`],
    ['requests/s', num(r.rates.requests_per_s)],
    ['credits charged', `${r.credits.charged} / ${r.credits.expected} expected`],
  ];
  const verdict =
    r.thresholds.length === 0
      ? ''
      : `<span class="verdict ${r.passed ? 'pass' : 'fail'}">${r.passed ? 'thresholds met' : 'thresholds breached'}</span>`;
  const perModel = PHASES.flatMap((p) =>
    Object.entries(r.latency[p].models).map(([m, s]) => latencyRow(`${p} · ${m}`, s)),
  );
  const statusRows = (['submit', 'poll', 'download'] as const).flatMap((k) =>
    Object.entries(r.requests[k]).map(([s, n]): Array<string | number> => [k, s, n]),
  );
  const data = JSON.stringify(chartData(r)).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gwsim load: ${esc(r.scenario.name)}</title><style>${STYLE}</style></head>
<body>
<h1>gwsim load: ${esc(r.scenario.name)} ${verdict}</h1>
<p class="sub">${esc(r.target)} · started ${esc(r.started_at)} · ${num(r.elapsed_ms / 1000)} s · seed ${r.scenario.seed} · ${esc(r.scenario.arrival)} arrivals · max ${r.scenario.max_in_flight} in flight${r.shards.length ? ` · shards ${esc(r.shards.join(', '))}` : ''}${r.runs > 1 ? ` · ${r.runs} runs merged` : ''}</p>
<div class="cards">${cards.map(([k, v]) => `<div class="card">${esc(k)}<b>${esc(v)}</b></div>`).join('')}</div>
<h2>Latency by percentile</h2>
<p class="sub">Submit, completion and journey are measured from each arrival's intended send time (corrected for coordinated omission); download from the moment the task was seen finished.</p>
<svg class="chart" id="chart-latency" role="img" aria-label="latency by percentile"></svg>
${table(
  LATENCY_HEAD,
  PHASES.map((p) => latencyRow(p, r.latency[p].all)),
)}
<h2>Throughput over time</h2>
<svg class="chart" id="chart-throughput" role="img" aria-label="throughput over time"></svg>
<h2>Errors over time</h2>
<svg class="chart" id="chart-errors" role="img" aria-label="errors over time"></svg>
<h2>Thresholds</h2>
${table(
  ['threshold', 'value', 'result'],
  r.thresholds.map((t) => [t.expression, t.value === null ? 'no samples' : t.value, t.ok ? 'ok' : 'FAIL']),
)}
<h2>Per model</h2>
${table(
  ['model', 'journeys', 'ok', 'failed', 'errors', 'credits expected', 'credits charged'],
  Object.entries(r.models).map(([m, c]) => [
    m,
    c.journeys,
    c.completed,
    c.failed,
    c.errors,
    c.credits_expected,
    c.credits_charged,
  ]),
)}
${table(LATENCY_HEAD, perModel)}
<h2>Requests and errors</h2>
${table(['request', 'status', 'count'], statusRows)}
${table(
  ['error code', 'journeys'],
  Object.entries(r.error_codes).sort(([, a], [, b]) => b - a),
)}
${table(
  ['rate', 'value'],
  [
    ['error rate', pct(r.rates.error_rate)],
    ['HTTP error rate', pct(r.rates.http_error_rate)],
    ['task failure rate', pct(r.rates.task_failure_rate)],
    ['dropped rate', pct(r.rates.dropped_rate)],
  ],
)}
${r.journey_kinds.webhook > 0 ? table(['webhooks', 'count'], Object.entries(r.webhooks)) : ''}
<script type="application/json" id="report-data">${data}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
