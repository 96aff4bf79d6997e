import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Verifier, type VerifierOptions } from '@pact-foundation/pact';
import { gatewayStates } from './gateway-states.js';
import { nodeStates } from './node-states.js';
import { PARTICIPANTS } from './participants.js';
import type { StateHandlers, Target } from './target.js';
import { webhookMessages } from './webhook-messages.js';

export interface VerifyOptions {
  pactsDir: string;
  providerBaseUrl: string;
  /** Verify only the pacts of this provider. */
  provider?: string | undefined;
  /** `K: V` headers added to every request sent to the provider (e.g. a real key). */
  headers?: string[];
  /** Headers for the target's /_sim admin API (provider states). */
  adminHeaders?: Record<string, string>;
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
}

export interface PactResult {
  file: string;
  consumer: string;
  provider: string;
  ok: boolean;
  /** What failed, as the Pact verifier put it. */
  detail: string | null;
}

interface PactFile {
  consumer: { name: string };
  provider: { name: string };
}

/** Provider-specific verification options: states for HTTP pacts, message producers for message pacts. */
function providerSetup(provider: string, target: Target): Partial<VerifierOptions> {
  const handlers = (s: StateHandlers) => s as unknown as VerifierOptions['stateHandlers']; // see StateHandlers
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

interface VerifierFailure {
  errors?: Array<{ interaction?: string; mismatch?: { mismatches?: Array<{ path?: string; mismatch?: string }>; message?: string } }>;
}

/** The verifier's JSON result as lines a person reads: which interaction, where, what. */
export function readableFailure(message: string): string {
  let parsed: VerifierFailure;
  try {
    parsed = JSON.parse(message) as VerifierFailure;
  } catch {
    return message;
  }
  const lines = (parsed.errors ?? []).flatMap((e) => {
    const what = e.interaction?.replace(/^Verifying a pact between .+? and .+? /, '') ?? 'an interaction';
    const details = e.mismatch?.mismatches?.map((m) => `  ${m.path ?? ''} -> ${m.mismatch ?? ''}`) ?? [`  ${e.mismatch?.message ?? 'failed'}`];
    return [what, ...details];
  });
  return lines.length > 0 ? lines.join('\n') : message;
}

/** The pact files in a folder, with who they are between. */
export function listPacts(dir: string): Array<PactFile & { file: string }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: join(dir, f), ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as PactFile) }));
}

/**
 * Verify every pact in `pactsDir` (or those of one provider) against a running provider with the
 * real Pact verifier. Provider states go through the target's `/_sim` admin API, so a gwsim
 * (or `gwsim node`) target reaches every state; a real deployment reaches those it can.
 */
export async function verifyPacts(o: VerifyOptions): Promise<PactResult[]> {
  const pacts = listPacts(o.pactsDir).filter((p) => !o.provider || p.provider.name === o.provider);
  if (pacts.length === 0) throw new Error(`no pacts${o.provider ? ` for provider '${o.provider}'` : ''} in ${o.pactsDir}`);
  const target: Target = { baseUrl: o.providerBaseUrl.replace(/\/$/, ''), adminHeaders: o.adminHeaders ?? {} };
  const results: PactResult[] = [];
  for (const pact of pacts) {
    const options: VerifierOptions = {
      provider: pact.provider.name,
      providerBaseUrl: target.baseUrl,
      pactUrls: [pact.file],
      logLevel: o.logLevel ?? 'error',
      ...(o.headers && o.headers.length > 0 ? { customProviderHeaders: o.headers } : {}),
      ...providerSetup(pact.provider.name, target),
    };
    try {
      await new Verifier(options).verifyProvider();
      results.push({ file: pact.file, consumer: pact.consumer.name, provider: pact.provider.name, ok: true, detail: null });
    } catch (err) {
      results.push({ file: pact.file, consumer: pact.consumer.name, provider: pact.provider.name, ok: false, detail: readableFailure((err as Error).message) });
    }
  }
  return results;
}
