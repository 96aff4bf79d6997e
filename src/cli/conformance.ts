import { parseArgs } from 'node:util';
import { runConformance } from '../contracts/conformance.js';
import { paths } from '../paths.js';
import { DEV_KEY } from '../admin/admin-service.js';
import { UsageError } from './flags.js';


/** Run the journey through prism proxy; exit 1 on any violation. */
export async function conformance(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, strict: true, options: { target: { type: 'string' }, spec: { type: 'string' }, key: { type: 'string' } } });
  if (!values.target || !/^https?:\/\/[^/]+/.test(values.target)) throw new UsageError(`--target must be an http(s) URL, got '${values.target ?? ''}'`);
  const results = await runConformance({ target: values.target, spec: values.spec ?? paths.gatewaySpec, key: values.key ?? DEV_KEY });
  process.stdout.write(`\ngwsim conformance: ${values.target} against ${values.spec ?? 'openapi/gateway.yaml'}\n`);
  for (const r of results) {
    process.stdout.write(`  ${r.violations.length ? 'FAIL' : 'ok  '}  ${String(r.status).padEnd(4)}${r.step}\n`);
    for (const v of r.violations) process.stdout.write(`          ${v}\n`);
  }
  const bad = results.filter((r) => r.violations.length > 0).length;
  process.stdout.write(`${results.length - bad} passed, ${bad} failed\n`);
  if (bad > 0) process.exitCode = 1;
}
