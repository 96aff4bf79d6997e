import type { JUnitSuite } from '../reporting/junit.js';
import type { PactDoc, PlannedInteraction } from './live-plan.js';
import type { PactResult } from './verify.js';

const indent = (text: string, by: string) => text.split('\n').join(`\n${by}`);

/** The live plan, before anything is spent: what runs, what it costs, what cannot run and why. */
export function planText(
  pacts: Array<PactDoc & { file: string }>,
  plans: Map<string, PlannedInteraction[]>,
  maxCredits: number,
): string {
  const lines: string[] = [];
  let runs = 0;
  let skipped = 0;
  let credits = 0;
  for (const p of pacts) {
    lines.push(`plan: ${p.consumer.name} → ${p.provider.name}`);
    for (const i of plans.get(p.file) ?? []) {
      if (i.verifiable) {
        runs++;
        credits += i.credits;
        lines.push(
          `  verify               ${i.description}${i.credits ? `  (~${i.credits} credits${i.note ? `: ${i.note}` : ''})` : ''}`,
        );
      } else {
        skipped++;
        lines.push(`  not verifiable live  ${i.description}  (${i.reason ?? ''})`);
      }
    }
  }
  lines.push(
    `plan: ${runs} interactions to verify live, ${skipped} not verifiable live, estimated credits ${credits} (budget --max-credits ${maxCredits})`,
  );
  return `${lines.join('\n')}\n`;
}

/** PASS/FAIL per pact with each failed interaction's mismatches, then the not-verifiable-live list. */
export function resultsText(results: PactResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const none = r.interactions.every((i) => i.outcome === 'not-verifiable');
    out.push(`  ${none ? 'SKIP' : r.ok ? 'PASS' : 'FAIL'}  ${r.consumer} → ${r.provider}  (${r.file})`);
    if (r.detail) out.push(`        ${indent(r.detail, '        ')}`);
  }
  const notLive = results.flatMap((r) => r.interactions.filter((i) => i.outcome === 'not-verifiable'));
  if (notLive.length > 0) {
    out.push('  not verifiable live:');
    for (const i of notLive) out.push(`    ${i.description}  (${i.detail ?? ''})`);
  }
  return `${out.join('\n')}\n`;
}

export function counts(results: PactResult[]): { passed: number; failed: number; notVerifiable: number } {
  const all = results.flatMap((r) => r.interactions);
  return {
    passed: all.filter((i) => i.outcome === 'passed').length,
    failed: all.filter((i) => i.outcome === 'failed').length,
    notVerifiable: all.filter((i) => i.outcome === 'not-verifiable').length,
  };
}

/** A JUnit suite per pact, a testcase per interaction; not verifiable live is skipped. */
export function verifySuites(results: PactResult[]): JUnitSuite[] {
  return results.map((r) => ({
    name: `${r.consumer} → ${r.provider}`,
    time: r.interactions.reduce((t, i) => t + i.seconds, 0),
    cases: r.interactions.map((i) => ({
      name: i.description,
      className: `gwsim verify.${r.provider}`,
      time: i.seconds,
      ...(i.outcome === 'failed' ? { failure: i.detail ?? 'failed' } : {}),
      ...(i.outcome === 'not-verifiable' ? { skipped: true } : {}),
    })),
  }));
}
