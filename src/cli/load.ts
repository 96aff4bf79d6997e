import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCatalog, type Catalog } from '../catalog/load-catalog.js';
import { parseShard, type Shard } from '../load/arrivals.js';
import { htmlReport } from '../load/html-report.js';
import { readReport, writeReport } from '../load/report-file.js';
import { mergeReports, type LoadReport } from '../load/report.js';
import { runLoad } from '../load/runner.js';
import { JOURNEY_KINDS, loadScenario, parseScenario, type Scenario } from '../load/scenario.js';
import { progressLine, summaryText } from '../load/summary-text.js';
import { parseThreshold } from '../load/thresholds.js';
import { writeJUnit, type JUnitSuite } from '../reporting/junit.js';
import { choiceFlag, intFlag, listenFlag, numberFlag, UsageError, urlFlag } from './flags.js';

/** Exit status when a threshold is breached (k6's convention), apart from 2 for usage errors. */
export const THRESHOLDS_BREACHED = 99;

/** `imagen4=3,cogview-4` → mix entries (weight 1 when not given). */
function parseMix(text: string): Array<{ model: string; weight: number }> {
  return text.split(',').map((part) => {
    const [model, weight, extra] = part.trim().split('=');
    const w = weight === undefined ? 1 : Number(weight);
    if (
      !model ||
      extra !== undefined ||
      !Number.isFinite(w) ||
      w < 0 ||
      (weight !== undefined && weight.trim() === '')
    ) {
      throw new UsageError(`--mix takes MODEL[=WEIGHT],… (e.g. imagen4=3,cogview-4=1), got '${text}'`);
    }
    return { model, weight: w };
  });
}

interface LoadFlags {
  scenario?: string;
  rate?: string;
  duration?: string;
  mix?: string;
  journey?: string;
  'max-in-flight'?: string;
  seed?: string;
  threshold?: string[];
}

/** The scenario from --scenario, or built from --rate/--duration/--mix; other flags override it. */
export function scenarioFromFlags(values: LoadFlags, catalog: Catalog): Scenario {
  const inline = (['rate', 'duration', 'mix', 'journey'] as const).filter((k) => values[k] !== undefined);
  let scenario: Scenario;
  if (values.scenario !== undefined) {
    if (inline.length > 0)
      throw new UsageError(`--scenario and --${inline[0]} do not go together: put it in the scenario file`);
    scenario = loadScenario(values.scenario, catalog);
  } else {
    if (values.rate === undefined || values.duration === undefined)
      throw new UsageError('give --scenario FILE, or --rate N and --duration D');
    const journey = choiceFlag('journey', values.journey, JOURNEY_KINDS) ?? 'poll';
    scenario = parseScenario(
      {
        name: 'command-line',
        rate: numberFlag('rate', values.rate, 0),
        duration: values.duration,
        mix: parseMix(values.mix ?? 'imagen4'),
        journeys: { [journey]: 1 },
      },
      catalog,
      'from the command line',
    );
  }
  const maxInFlight = intFlag('max-in-flight', values['max-in-flight'], 1, 100_000);
  const seed = intFlag('seed', values.seed, 0, 2 ** 32 - 1);
  const extra = (values.threshold ?? []).map((text) => {
    const t = parseThreshold(
      text,
      scenario.mix.map((m) => m.name),
    );
    if (typeof t === 'string') throw new UsageError(`--threshold: ${t}`);
    return t;
  });
  return {
    ...scenario,
    ...(maxInFlight !== undefined ? { maxInFlight } : {}),
    ...(seed !== undefined ? { seed } : {}),
    thresholds: [...scenario.thresholds, ...extra],
  };
}

/** A JUnit suite with a testcase per threshold; a breached one (or one without samples) fails. */
export function loadSuite(report: LoadReport): JUnitSuite {
  return {
    name: `gwsim load ${report.scenario.name}`,
    cases: report.thresholds.map((t) => ({
      name: t.expression,
      className: 'gwsim load',
      ...(t.ok ? {} : { failure: t.value === null ? 'no samples' : `breached: measured ${t.value}` }),
    })),
  };
}

function output(
  report: LoadReport,
  out: string | undefined,
  html: string | undefined,
  junit: string | undefined,
): void {
  if (out !== undefined) writeReport(out, report);
  if (html !== undefined) writeFileSync(html, htmlReport(report));
  if (junit !== undefined) writeJUnit(junit, [loadSuite(report)]);
  process.stdout.write(summaryText(report));
  if (!report.passed) process.exitCode = THRESHOLDS_BREACHED;
}

async function merge(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { out: { type: 'string' }, html: { type: 'string' }, junit: { type: 'string' } },
  });
  if (positionals.length === 0)
    throw new UsageError('load merge needs report files: gwsim load merge A.json B.json --out C.json');
  output(mergeReports(positionals.map(readReport)), values.out, values.html, values.junit);
}

export async function load(argv: string[]): Promise<void> {
  if (argv[0] === 'merge') return merge(argv.slice(1));
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      target: { type: 'string' },
      key: { type: 'string' },
      scenario: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      mix: { type: 'string' },
      journey: { type: 'string' },
      'max-in-flight': { type: 'string' },
      seed: { type: 'string' },
      threshold: { type: 'string', multiple: true },
      out: { type: 'string' },
      html: { type: 'string' },
      junit: { type: 'string' },
      shard: { type: 'string' },
      'webhook-secret': { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-listen': { type: 'string' },
    },
  });
  const target = urlFlag('target', values.target, 'http://127.0.0.1:4100');
  if (target === undefined) throw new UsageError('--target URL is required (e.g. http://127.0.0.1:4100)');
  if (!values.key) throw new UsageError('--key KEY is required (the API key to load with, e.g. aio_dev_key)');
  let shard: Shard | undefined;
  if (values.shard !== undefined) {
    shard = parseShard(values.shard);
    if (!shard) throw new UsageError(`--shard takes i/n with 1 ≤ i ≤ n (e.g. 2/4), got '${values.shard}'`);
  }
  const scenario = scenarioFromFlags(values, loadCatalog());

  const stop = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ngwsim load: stopping; in-flight journeys are interrupted\n');
    stop.abort();
  };
  process.once('SIGINT', onSigint);
  const tty = process.stderr.isTTY === true;
  try {
    const report = await runLoad({
      target,
      key: values.key,
      scenario,
      ...(shard ? { shard } : {}),
      ...(values['webhook-secret'] ? { webhookSecret: values['webhook-secret'] } : {}),
      ...(values['webhook-url'] ? { webhookUrl: values['webhook-url'] } : {}),
      ...(values['webhook-listen'] !== undefined
        ? { webhookListen: listenFlag('webhook-listen', values['webhook-listen']) }
        : {}),
      ...(process.env.GWSIM_ADMIN_TOKEN ? { adminToken: process.env.GWSIM_ADMIN_TOKEN } : {}),
      signal: stop.signal,
      ...(tty ? { onProgress: (p) => process.stderr.write(`\r\x1b[2K${progressLine(p)}`) } : {}),
    });
    if (tty) process.stderr.write('\r\x1b[2K');
    output(report, values.out, values.html, values.junit);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
