import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readHar } from '../record/har-file.js';
import { diffSession, specEnums } from '../record/diff.js';
import { diffSuites, diffText } from '../record/diff-text.js';
import { replay } from '../record/replay.js';
import { sessionOf } from '../record/session.js';
import { ignoreMatcher } from '../record/shape.js';
import { writeJUnit } from '../reporting/junit.js';
import { loadSpec } from '../spec/load-spec.js';
import { UsageError, urlFlag } from './flags.js';

/** `gwsim diff`: replay a recording against a gwsim and report how they differ; exit 1 on a structural or price difference. */
export async function diff(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      against: { type: 'string' },
      config: { type: 'string' },
      ignore: { type: 'string', multiple: true },
      json: { type: 'string' },
      junit: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('diff takes one recording: gwsim diff FILE.har [--against URL]');
  const against = urlFlag('against', values.against, 'http://127.0.0.1:4100');
  if (against !== undefined && values.config !== undefined)
    throw new UsageError('--config is for the simulator diff starts itself: give it to the gwsim at --against instead');
  const session = sessionOf(readHar(positionals[0]!), positionals[0]!);
  const enums = specEnums(loadSpec().components.schemas);

  // Without --against, a simulator of its own on a manual clock: the replay moves time as the recording did.
  const own =
    against === undefined
      ? await (
          await import('../simulator.js')
        ).startSimulator({ port: 0, clock: 'manual', ...(values.config ? { config: values.config } : {}) })
      : undefined;
  try {
    const url = against ?? own!.url;
    const replayed = await replay(session, {
      url,
      ...(process.env.GWSIM_ADMIN_TOKEN ? { adminToken: process.env.GWSIM_ADMIN_TOKEN } : {}),
    });
    const report = diffSession(
      session,
      replayed,
      against ?? `a gwsim of its own${values.config ? ` (--config ${values.config})` : ''}`,
      { ignored: ignoreMatcher(values.ignore ?? []), enums },
    );
    process.stdout.write(diffText(report));
    if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    if (values.junit !== undefined) writeJUnit(values.junit, diffSuites(report));
    if (report.verdict === 'different') process.exitCode = 1;
  } finally {
    await own?.close();
  }
}
