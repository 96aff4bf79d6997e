import { parseArgs } from 'node:util';
import { verifyPacts } from '../contracts/verify.js';
import { paths } from '../paths.js';
import { UsageError } from './flags.js';


/** Verify the pacts against a running gateway or node; exit 1 when any fails. */
export async function verify(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      pacts: { type: 'string' },
      'provider-base-url': { type: 'string' },
      provider: { type: 'string' },
      header: { type: 'string', multiple: true },
    },
  });
  const base = values['provider-base-url'];
  if (!base || !/^https?:\/\/[^/]+/.test(base)) throw new UsageError(`--provider-base-url must be an http(s) URL, got '${base ?? ''}'`);
  const headers = values.header ?? [];
  for (const h of headers) if (!/^[A-Za-z0-9-]+:\s*\S/.test(h)) throw new UsageError(`--header must look like 'Name: value', got '${h}'`);
  const token = process.env.GWSIM_ADMIN_TOKEN;
  const results = await verifyPacts({
    pactsDir: values.pacts ?? paths.pacts, // the pacts shipped in the package
    providerBaseUrl: base,
    provider: values.provider,
    headers,
    ...(token ? { adminHeaders: { authorization: `Bearer ${token}` } } : {}),
  });
  process.stdout.write('\ngwsim verify\n');
  for (const r of results) {
    process.stdout.write(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.consumer} → ${r.provider}  (${r.file})\n`);
    if (r.detail) process.stdout.write(`        ${r.detail.split('\n').join('\n        ')}\n`);
  }
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
  if (failed > 0) process.exitCode = 1;
}
