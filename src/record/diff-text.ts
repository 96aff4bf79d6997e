import type { JUnitSuite } from '../reporting/junit.js';
import { count, type Difference, type DiffReport, type Quantiles3 } from './diff.js';

/** One line per difference: what differs, where, and which side has what. */
export function describe(d: Difference): string {
  const at = d.path ?? '';
  switch (d.kind) {
    case 'status':
      return `status ${d.recorded} in the recording, ${d.simulator} from the simulator`;
    case 'content-type':
      return `content type ${d.recorded} in the recording, ${d.simulator} from the simulator`;
    case 'header':
      return `header ${at}: ${d.recorded} in the recording, ${d.simulator} from the simulator`;
    case 'extra':
      return `extra field ${at} (${d.recorded}) in the recording, not from the simulator`;
    case 'missing':
      return `missing field ${at} (${d.simulator}): the simulator sends it, the recording lacks it`;
    case 'type':
      return `different type at ${at}: ${d.recorded} in the recording, ${d.simulator} from the simulator`;
    case 'value':
      return `different value at ${at}: ${d.recorded} in the recording, ${d.simulator} from the simulator`;
  }
}

const q = (x: Quantiles3 | undefined) => (x ? `${x.p5} / ${x.p50} / ${x.p95}` : '-');

/** The readable report: differences grouped by route and model, then timings and prices per model. */
export function diffText(r: DiffReport): string {
  const lines: string[] = [];
  lines.push(
    `gwsim diff: ${r.har} (${count(r.entries.total, 'entry', 'entries')}: ${count(r.entries.replayed, 'call')} replayed, ${count(r.entries.webhooks, 'webhook delivery', 'webhook deliveries')}, ${count(r.entries.skipped, 'other entry', 'other entries')} skipped)`,
    `  against ${r.against} (${r.clock} clock)`,
    '',
  );
  for (const route of Object.keys(r.routes)) {
    const diffs = r.differences.filter((d) => d.route === route);
    lines.push(`${route}  (${r.routes[route]} compared)`);
    if (diffs.length === 0) lines.push('  same shape');
    for (const d of diffs) lines.push(`  ${d.model.padEnd(14)} ${describe(d)}${d.count > 1 ? `  ×${d.count}` : ''}`);
  }
  lines.push('', 'Timings: completion, from the create to the answer that showed the task ended (ms, p5 / p50 / p95)');
  if (r.timings.length === 0) lines.push('  no task was seen ending');
  for (const t of r.timings) {
    const verdict = t.note ?? (t.gap ? 'GAP' : 'ok');
    lines.push(
      `  ${t.model.padEnd(14)} n=${String(t.samples).padEnd(4)} recorded ${q(t.recorded).padEnd(22)} simulator ${q(t.simulator).padEnd(22)} ${verdict}`,
    );
  }
  lines.push('', 'Prices: credits per image, from the balance changes GET /credits showed');
  if (r.prices.length === 0)
    lines.push('  no read of GET /credits isolated one model (read it after each task has ended)');
  for (const p of r.prices)
    lines.push(
      `  ${p.model.padEnd(14)} recorded ${p.recorded.join(', ').padEnd(8)} simulator ${String(p.simulator ?? '(unknown model)').padEnd(8)} ${p.differs ? 'DIFFERS' : 'ok'}`,
    );
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push('', summaryLine(r));
  return `${lines.join('\n')}\n`;
}

export function summaryLine(r: DiffReport): string {
  if (r.verdict === 'same') return 'no differences: the simulator matches the recording';
  if (r.verdict === 'timings-only')
    return `only timings differ (${count(r.timingGaps, 'model')} with a timing gap): structure and prices match`;
  const parts = [count(r.structural, 'structural difference')];
  if (r.priceDifferences > 0) parts.push(count(r.priceDifferences, 'price difference'));
  if (r.timingGaps > 0) parts.push(`timing gaps in ${count(r.timingGaps, 'model')}`);
  return `${parts.join(', ')}`;
}

/** The report as JUnit suites: one case per route, per model's timings and per price. */
export function diffSuites(r: DiffReport): JUnitSuite[] {
  const structure: JUnitSuite = {
    name: 'gwsim diff: structure',
    cases: Object.keys(r.routes).map((route) => {
      const diffs = r.differences.filter((d) => d.route === route);
      return {
        name: route,
        ...(diffs.length ? { failure: diffs.map((d) => `${d.model}: ${describe(d)}`).join('\n') } : {}),
      };
    }),
  };
  const timings: JUnitSuite = {
    name: 'gwsim diff: timings',
    cases: r.timings.map((t) => ({
      name: `completion ${t.model}`,
      ...(t.gap ? { failure: `recorded p5/p50/p95 ${q(t.recorded)} ms, simulator ${q(t.simulator)} ms` } : {}),
      ...(t.note ? { skipped: true } : {}),
    })),
  };
  const prices: JUnitSuite = {
    name: 'gwsim diff: prices',
    cases: r.prices.map((p) => ({
      name: `credits ${p.model}`,
      ...(p.differs ? { failure: `recorded ${p.recorded.join(', ')}, simulator ${p.simulator ?? 'unknown'}` } : {}),
    })),
  };
  return [structure, timings, prices];
}
