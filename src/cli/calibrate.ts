import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { calibrate as fit, calibrationYaml } from '../calibrate/calibrate.js';
import { modelFigures } from '../catalog/figures.js';
import { loadCatalog } from '../catalog/load-catalog.js';
import { MIN_SAMPLES } from '../record/diff.js';
import { readHar } from '../record/har-file.js';
import { sessionOf } from '../record/session.js';
import { intFlag, UsageError } from './flags.js';

/** `gwsim calibrate`: a config that makes the simulator behave as the recording did. */
export async function calibrate(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { out: { type: 'string' }, 'min-samples': { type: 'string' } },
  });
  if (positionals.length !== 1)
    throw new UsageError('calibrate takes one recording: gwsim calibrate FILE.har --out gwsim.config.yaml');
  if (!values.out) throw new UsageError('--out CONFIG.yaml is required: where the calibrated config goes');
  const minSamples = intFlag('min-samples', values['min-samples'], 1, 1_000_000) ?? MIN_SAMPLES;
  const session = sessionOf(readHar(positionals[0]!), positionals[0]!);
  const result = fit(session, modelFigures(loadCatalog()), minSamples);
  writeFileSync(values.out, calibrationYaml(result));
  for (const f of result.fits) {
    const what = f.refused
      ? `not fitted: ${f.refused}`
      : `latency_ms p5 ${f.latency_ms!.p5} p95 ${f.latency_ms!.p95}, failure_rate ${f.failure_rate} (${f.failed}/${f.ended})`;
    process.stdout.write(
      `  ${f.model.padEnd(14)} ${what}${
        f.credits
          ? `; credits ${Object.entries(f.credits)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ')}`
          : ''
      }\n`,
    );
  }
  const fitted = result.fits.filter((f) => !f.refused).length;
  process.stdout.write(
    `gwsim calibrate: ${fitted} of ${result.fits.length} models fitted from ${positionals[0]} → ${values.out}\n`,
  );
}
