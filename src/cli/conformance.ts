import { parseArgs } from 'node:util';
import { runConformance, type StepResult } from '../contracts/conformance.js';
import { paths } from '../paths.js';
import { DEV_KEY } from '../admin/admin-service.js';
import { writeJUnit, type JUnitSuite } from '../reporting/junit.js';
import { UsageError } from './flags.js';
import { oneLineFailures } from './one-line.js';

/** A JUnit suite with a testcase per step; a step fails on any violation. */
export function conformanceSuite(target: string, results: StepResult[]): JUnitSuite {
  return {
    name: `gwsim conformance ${target}`,
    time: results.reduce((t, r) => t + r.seconds, 0),
    cases: results.map((r) => ({
      name: r.step,
      className: 'gwsim conformance',
      time: r.seconds,
      ...(r.violations.length ? { failure: r.violations.join('\n') } : {}),
    })),
  };
}

/** Run the journey through prism proxy; exit 1 on any violation, or when the target is unreachable or refuses the key. */
export async function conformance(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      target: { type: 'string' },
      spec: { type: 'string' },
      key: { type: 'string' },
      junit: { type: 'string' },
      debug: { type: 'boolean' },
    },
  });
  const target = values.target;
  if (!target || !/^https?:\/\/[^/]+/.test(target))
    throw new UsageError(`--target must be an http(s) URL, got '${target ?? ''}'`);
  await oneLineFailures('conformance', values.debug === true, async () => {
    const results = await runConformance({
      target,
      spec: values.spec ?? paths.gatewaySpec,
      key: values.key ?? DEV_KEY,
      adminToken: process.env.GWSIM_ADMIN_TOKEN,
    });
    process.stdout.write(`\ngwsim conformance: ${target} against ${values.spec ?? 'openapi/gateway.yaml'}\n`);
    for (const r of results) {
      process.stdout.write(`  ${r.violations.length ? 'FAIL' : 'ok  '}  ${String(r.status).padEnd(4)}${r.step}\n`);
      for (const v of r.violations) process.stdout.write(`          ${v}\n`);
    }
    const bad = results.filter((r) => r.violations.length > 0).length;
    process.stdout.write(`${results.length - bad} passed, ${bad} failed\n`);
    if (values.junit) writeJUnit(values.junit, [conformanceSuite(target, results)]);
    if (bad > 0) process.exitCode = 1;
  });
}
