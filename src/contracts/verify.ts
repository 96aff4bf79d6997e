import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Verifier, type VerifierOptions } from '@pact-foundation/pact';
import { gatewayStates } from './gateway-states.js';
import type { PactDoc, PlannedInteraction } from './live-plan.js';
import { liveStates, type LiveOptions } from './live-states.js';
import { nodeStates } from './node-states.js';
import { PARTICIPANTS } from './participants.js';
import type { StateHandlers, Target } from './target.js';
import { webhookMessages } from './webhook-messages.js';

export interface VerifyOptions {
  pactsDir: string;
  providerBaseUrl: string;
  /** Verify only the pacts of this provider. */
  provider?: string | undefined;
  /** These pacts (as listPacts gives them) instead of every one in pactsDir. */
  pacts?: Array<PactDoc & { file: string }>;
  /** `K: V` headers added to every request sent to the provider (e.g. a real key). */
  headers?: string[];
  /** Headers for the target's /_sim admin API (provider states). */
  adminHeaders?: Record<string, string>;
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Live mode: states through the public API, only the planned interactions (keyed by pact file). */
  live?: LiveOptions & { plans: Map<string, PlannedInteraction[]> };
}

export interface InteractionResult {
  description: string;
  outcome: 'passed' | 'failed' | 'not-verifiable';
  /** The mismatches, or why it cannot be verified live. */
  detail: string | null;
  seconds: number;
}

export interface PactResult {
  file: string;
  consumer: string;
  provider: string;
  ok: boolean;
  /** What failed, as the Pact verifier put it. */
  detail: string | null;
  interactions: InteractionResult[];
}

type Setup = Partial<VerifierOptions>;
const handlers = (s: StateHandlers) => s as unknown as VerifierOptions['stateHandlers']; // see StateHandlers

/** Provider-specific verification options: states for HTTP pacts, message producers for message pacts. */
function providerSetup(provider: string, target: Target): Setup {
  switch (provider) {
    case PARTICIPANTS.gateway: {
      const { stateHandlers, beforeEach } = gatewayStates(target);
      return { stateHandlers: handlers(stateHandlers), beforeEach };
    }
    case PARTICIPANTS.node: {
      const { stateHandlers, beforeEach } = nodeStates(target);
      return { stateHandlers: handlers(stateHandlers), beforeEach };
    }
    case PARTICIPANTS.gatewayWebhooks: {
      const { stateHandlers, messageProviders } = webhookMessages(target);
      return { stateHandlers: handlers(stateHandlers), messageProviders };
    }
    default:
      return {};
  }
}

interface VerifierJson {
  errors?: Array<{
    interaction?: string;
    mismatch?: { mismatches?: Array<{ path?: string; mismatch?: string }>; message?: string };
  }>;
  interactionResults?: Array<{ description?: string; duration?: string; result?: string }>;
}

const parseJson = (text: string): VerifierJson | undefined => {
  try {
    return JSON.parse(text) as VerifierJson;
  } catch {
    return undefined;
  }
};

const describeError = (e: NonNullable<VerifierJson['errors']>[number]) => ({
  what: e.interaction?.replace(/^Verifying a pact between .+? and .+? /, '') ?? 'an interaction',
  details: e.mismatch?.mismatches?.map((m) => `  ${m.path ?? ''} -> ${m.mismatch ?? ''}`) ?? [
    `  ${e.mismatch?.message ?? 'failed'}`,
  ],
});

/** The verifier's durations read `6s 134ms`, `1m 2s`, `38ms`. */
function durationSeconds(text: string | undefined): number {
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  return [...(text ?? '').matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)\b/g)].reduce(
    (t, m) => t + Number(m[1]) * unit[m[2]!]!,
    0,
  );
}

/** One result per interaction, from the verifier's JSON (its `interactionResults` and `errors`). */
function interactionResults(pact: PactDoc, json: VerifierJson | undefined, crash: string | null): InteractionResult[] {
  return pact.interactions.map((i) => {
    const ran = json?.interactionResults?.find((r) => r.description === i.description);
    const seconds = durationSeconds(ran?.duration);
    const errors = (json?.errors ?? []).filter((e) => e.interaction?.endsWith(` - ${i.description}`));
    if (ran?.result === 'OK' && errors.length === 0)
      return { description: i.description, outcome: 'passed', detail: null, seconds };
    const detail =
      errors.length > 0
        ? errors.flatMap((e) => describeError(e).details).join('\n')
        : (crash ?? 'the verifier did not report this interaction');
    return { description: i.description, outcome: 'failed', detail, seconds };
  });
}

/** The pact files in a folder, with who they are between. */
export function listPacts(dir: string): Array<PactDoc & { file: string }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: join(dir, f), ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as PactDoc) }));
}

/** Run the Pact verifier on one pact (its interactions as given); never throws for a failed verification. */
async function runVerifier(pact: PactDoc, options: VerifierOptions, scratch: string): Promise<InteractionResult[]> {
  const file = join(scratch, basename(options.pactUrls?.[0] ?? 'pact.json'));
  writeFileSync(file, JSON.stringify(pact));
  try {
    const out = await new Verifier({ ...options, pactUrls: [file] }).verifyProvider();
    return interactionResults(pact, parseJson(String(out)), null);
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    return interactionResults(pact, parseJson(message), message);
  }
}

/**
 * Verify every pact in `pactsDir` (or those of one provider) against a running provider with the
 * real Pact verifier. Against a gwsim (or `gwsim node`) provider states are made through its
 * `/_sim`; in live mode through the public API, and only the interactions the plan can verify run.
 */
export async function verifyPacts(o: VerifyOptions): Promise<PactResult[]> {
  const pacts = (o.pacts ?? listPacts(o.pactsDir)).filter((p) => !o.provider || p.provider.name === o.provider);
  if (pacts.length === 0)
    throw new Error(`no pacts${o.provider ? ` for provider '${o.provider}'` : ''} in ${o.pactsDir}`);
  const target: Target = { baseUrl: o.providerBaseUrl.replace(/\/$/, ''), adminHeaders: o.adminHeaders ?? {} };
  const results: PactResult[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'gwsim-verify-'));
  try {
    for (const pact of pacts) {
      const plan = o.live?.plans.get(pact.file);
      const runnable = plan ? pact.interactions.filter((_i, n) => plan[n]?.verifiable) : pact.interactions;
      const setup: Setup = o.live
        ? (({ stateHandlers, requestFilter }) => ({ stateHandlers: handlers(stateHandlers), requestFilter }))(
            liveStates(target, o.live),
          )
        : providerSetup(pact.provider.name, target);
      const options: VerifierOptions = {
        provider: pact.provider.name,
        providerBaseUrl: target.baseUrl,
        pactUrls: [pact.file],
        logLevel: o.logLevel ?? 'error',
        // A live state may wait for a real generation: give state changes and requests a minute.
        ...(o.live ? { timeout: 60_000 } : {}),
        ...(o.headers && o.headers.length > 0 ? { customProviderHeaders: o.headers } : {}),
        ...setup,
      };
      const ran = runnable.length > 0 ? await runVerifier({ ...pact, interactions: runnable }, options, scratch) : [];
      const interactions = pact.interactions.map((i, n): InteractionResult => {
        const p = plan?.[n];
        if (p && !p.verifiable)
          return { description: i.description, outcome: 'not-verifiable', detail: p.reason ?? null, seconds: 0 };
        return ran.find((r) => r.description === i.description)!;
      });
      const failed = interactions.filter((i) => i.outcome === 'failed');
      const detail = failed.length > 0 ? failed.map((i) => `${i.description}\n${i.detail ?? ''}`).join('\n') : null;
      results.push({
        file: pact.file,
        consumer: pact.consumer.name,
        provider: pact.provider.name,
        ok: failed.length === 0,
        detail,
        interactions,
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return results;
}
