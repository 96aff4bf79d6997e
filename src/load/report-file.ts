import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { StartupError } from '../startup-error.js';
import { REPORT_FORMAT, REPORT_VERSION, type LoadReport } from './report.js';
import { PHASES } from './thresholds.js';

/** A report file that cannot be read or is not a gwsim load report. */
export class ReportFileError extends StartupError {}

const Stats = z.looseObject({ count: z.number().int().min(0), hdr: z.string() });
const Phase = z.looseObject({ all: Stats, models: z.record(z.string(), Stats) });
const Counts = z.record(z.string(), z.number());

// The parts merge reads; the rest is carried through. Checked so a wrong file fails by name.
const ReportShape = z.looseObject({
  format: z.literal(REPORT_FORMAT),
  version: z.literal(REPORT_VERSION),
  target: z.string(),
  scenario: z.looseObject({
    name: z.string(),
    seed: z.number(),
    thresholds: z.array(z.string()),
    mix: z.array(z.looseObject({ model: z.string() })),
  }),
  shards: z.array(z.string().regex(/^\d+\/\d+$/)),
  runs: z.number().int().min(1),
  started_at: z.iso.datetime(),
  elapsed_ms: z.number().min(0),
  arrivals: Counts,
  journeys: Counts,
  journey_kinds: Counts,
  tasks: Counts,
  models: z.record(z.string(), Counts),
  requests: z.looseObject({ submit: Counts, poll: Counts, download: Counts }),
  error_codes: Counts,
  webhooks: Counts,
  credits: z.looseObject({ expected: z.number(), charged: z.number() }),
  download_bytes: z.number(),
  timeline: z.looseObject({ bucket_ms: z.number().positive(), buckets: z.array(z.looseObject({ t_ms: z.number() })) }),
  latency: z.looseObject(Object.fromEntries(PHASES.map((p) => [p, Phase]))),
});

export function readReport(file: string): LoadReport {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ReportFileError(`cannot read report ${file}: ${(err as Error).message}`);
  }
  const parsed = ReportShape.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ReportFileError(
      `${file} is not a gwsim load report (v${REPORT_VERSION}): ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  return raw as LoadReport;
}

export function writeReport(file: string, report: LoadReport): void {
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
