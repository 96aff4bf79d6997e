import { parseArgs } from 'node:util';
import type { LiveModel } from '../contracts/live-plan.js';
import { planPacts } from '../contracts/live-plan.js';
import { PARTICIPANTS } from '../contracts/participants.js';
import { checkGateway, checkKey, checkNode, hasAdmin, probe, TargetError } from '../contracts/preflight.js';
import { counts, planText, resultsText, verifySuites } from '../contracts/verify-report.js';
import { listPacts, verifyPacts } from '../contracts/verify.js';
import { paths } from '../paths.js';
import { writeJUnit } from '../reporting/junit.js';
import { intFlag, UsageError } from './flags.js';
import { oneLineFailures } from './one-line.js';

const AUTH_HEADER = /^authorization:\s*bearer\s+(\S+)\s*$/i;

function flags(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      pacts: { type: 'string' },
      'provider-base-url': { type: 'string' },
      provider: { type: 'string' },
      header: { type: 'string', multiple: true },
      key: { type: 'string' },
      live: { type: 'boolean' },
      'max-credits': { type: 'string' },
      'dry-run': { type: 'boolean' },
      'state-key': { type: 'string', multiple: true },
      junit: { type: 'string' },
      debug: { type: 'boolean' },
    },
  });
  const base = values['provider-base-url'];
  if (!base || !/^https?:\/\/[^/]+/.test(base))
    throw new UsageError(`--provider-base-url must be an http(s) URL, got '${base ?? ''}'`);
  const headers = values.header ?? [];
  for (const h of headers)
    if (!/^[A-Za-z0-9-]+:\s*\S/.test(h)) throw new UsageError(`--header must look like 'Name: value', got '${h}'`);
  const stateKeys = new Map<string, string>();
  for (const s of values['state-key'] ?? []) {
    const m = /^(.+?)=(aio_\S+)$/.exec(s);
    if (!m) throw new UsageError(`--state-key must look like 'STATE NAME=aio_…', got '${s}'`);
    stateKeys.set(m[1]!.trim(), m[2]!);
  }
  const headerKey = headers.map((h) => AUTH_HEADER.exec(h)?.[1]).find((k) => k !== undefined);
  return {
    ...values,
    pacts: values.pacts ?? paths.pacts, // the pacts shipped in the package
    base: base.replace(/\/$/, ''),
    headers,
    key: values.key ?? headerKey,
    stateKeys,
    maxCredits: intFlag('max-credits', values['max-credits'], 0, 1_000_000) ?? 50,
  };
}

type Flags = ReturnType<typeof flags>;

/** The pacts to verify: those of --provider, or those whose provider the target is (a gateway or a node). */
async function selectPacts(f: Flags) {
  const all = listPacts(f.pacts);
  if (f.provider) {
    const chosen = all.filter((p) => p.provider.name === f.provider);
    if (chosen.length === 0) throw new TargetError(`no pacts for provider '${f.provider}' in ${f.pacts}`);
    const node = chosen.every((p) => p.provider.name === PARTICIPANTS.node);
    await (node ? checkNode(f.base) : checkGateway(f.base, f.key));
    return { pacts: chosen, node };
  }
  const node = await checkGateway(f.base, f.key).then(
    () => false,
    async (err: unknown) => {
      if (err instanceof TargetError && err.unreachable) throw err; // no second wait on a dead target
      await checkNode(f.base).catch(() => Promise.reject(err));
      return true;
    },
  );
  return { pacts: all.filter((p) => (p.provider.name === PARTICIPANTS.node) === node), node };
}

async function liveModels(base: string, key: string): Promise<LiveModel[]> {
  const r = await probe<{ data?: LiveModel[] }>(base, '/api/v1/models', { authorization: `Bearer ${key}` });
  if (r.status !== 200 || !Array.isArray(r.body.data))
    throw new TargetError(`GET /api/v1/models answered ${r.status}, not the model list`);
  return r.body.data;
}

async function run(f: Flags): Promise<void> {
  const token = process.env.GWSIM_ADMIN_TOKEN;
  const adminHeaders: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const { pacts, node } = await selectPacts(f);
  const live = f.live === true || !(await hasAdmin(f.base, adminHeaders));
  process.stdout.write(`\ngwsim verify: ${f.base}${live ? ' (live: no /_sim, states through the public API)' : ''}\n`);
  let liveOptions: Parameters<typeof verifyPacts>[0]['live'];
  let startAvailable = 0;
  if (live) {
    let models: LiveModel[] = [];
    let budget = f.maxCredits;
    if (!node) {
      if (!f.key)
        throw new TargetError("live mode needs your API key: --key aio_… or --header 'Authorization: Bearer aio_…'");
      startAvailable = (await checkKey(f.base, f.key)).available;
      budget = Math.min(budget, Math.max(0, startAvailable));
      models = await liveModels(f.base, f.key);
    }
    const plans = planPacts(pacts, { models, stateKeys: f.stateKeys, budget });
    process.stdout.write(planText(pacts, plans, f.maxCredits));
    if (f['dry-run']) return;
    liveOptions = { key: f.key ?? '', stateKeys: f.stateKeys, models, budget, startAvailable, plans };
  } else if (f['dry-run']) {
    process.stdout.write(
      `plan: ${pacts.reduce((n, p) => n + p.interactions.length, 0)} interactions, states through ${f.base}/_sim, no credits spent\n`,
    );
    return;
  }
  const results = await verifyPacts({
    pactsDir: f.pacts,
    providerBaseUrl: f.base,
    pacts,
    // Live, the key goes in per interaction (the pact's 401 interaction keeps its unknown key).
    headers: live ? f.headers.filter((h) => !AUTH_HEADER.test(h)) : f.headers,
    adminHeaders,
    ...(liveOptions ? { live: liveOptions } : {}),
  });
  process.stdout.write(resultsText(results));
  const c = counts(results);
  if (live) {
    const spent = !node && f.key ? startAvailable - (await checkKey(f.base, f.key)).available : 0;
    process.stdout.write(
      `verified live ${c.passed}, not verifiable live ${c.notVerifiable}, failed ${c.failed}, credits spent ${spent}\n`,
    );
  } else {
    process.stdout.write(
      `${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed (interactions: ${c.passed} passed, ${c.failed} failed)\n`,
    );
  }
  if (f.junit) writeJUnit(f.junit, verifySuites(results));
  if (c.failed > 0) process.exitCode = 1;
}

/**
 * Verify the pacts against a running gateway or node; exit 1 when any interaction fails, when
 * the target is unreachable, refuses the key or is not what the pacts are about (one line each).
 */
export async function verify(argv: string[]): Promise<void> {
  const f = flags(argv);
  await oneLineFailures('verify', f.debug === true, () => run(f));
}
