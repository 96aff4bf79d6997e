/** A model as the target's `GET /api/v1/models` lists it: what live mode needs to price and pick tasks. */
export interface LiveModel {
  id: string;
  runtime: string;
  aliases: string[];
  sub_models: Array<{ id: string; credits: number }>;
}

export interface PactInteraction {
  description: string;
  type?: string;
  providerStates?: Array<{ name: string; params?: Record<string, unknown> }>;
  request?: { method?: string; path?: string; body?: { content?: unknown } };
  response?: { status?: number };
}

export interface PactDoc {
  consumer: { name: string };
  provider: { name: string };
  interactions: PactInteraction[];
}

/** What live mode will do with one interaction, decided before anything is spent. */
export interface PlannedInteraction {
  description: string;
  states: string[];
  verifiable: boolean;
  /** Why not, naming what would make it verifiable. */
  reason?: string;
  /** The credits it is expected to spend (its own request and its states' tasks). */
  credits: number;
  note?: string;
}

export interface LivePlanContext {
  models: LiveModel[];
  /** States the user realised with a key of their own (`--state-key 'NAME=aio_…'`). */
  stateKeys: ReadonlyMap<string, string>;
  /** Credits this run may spend: --max-credits, or less when the key has less. */
  budget: number;
}

/** The cheapest sub-model (sync first on a tie, since it finishes in the submit); `async` only when the state needs a task that waits. */
export function cheapestModel(
  models: LiveModel[],
  asyncOnly: boolean,
): { model: LiveModel; sub: { id: string; credits: number } } | undefined {
  let best: { model: LiveModel; sub: { id: string; credits: number } } | undefined;
  for (const model of models) {
    if (asyncOnly && model.runtime !== 'async') continue;
    for (const sub of model.sub_models) {
      const better =
        !best ||
        sub.credits < best.sub.credits ||
        (sub.credits === best.sub.credits && model.runtime === 'sync' && best.model.runtime !== 'sync');
      if (better) best = { model, sub };
    }
  }
  return best;
}

/** The credits a generation request costs on the target, by the model it names. */
function priceOfRequest(models: LiveModel[], body: unknown): number {
  const b = (body ?? {}) as { model?: unknown; num_images?: unknown };
  const n = typeof b.num_images === 'number' ? b.num_images : 1;
  for (const m of models) {
    const sub =
      m.sub_models.find((s) => s.id === b.model) ??
      (m.id === b.model || m.aliases.includes(String(b.model)) ? m.sub_models[0] : undefined);
    if (sub) return sub.credits * n;
  }
  // Unknown to the target: assume the dearest, so the budget stays safe.
  return Math.max(0, ...models.flatMap((m) => m.sub_models.map((s) => s.credits))) * n;
}

type Need = { credits: number; note?: string } | { reason: string };

/** How one provider state is met live, or why it cannot be. */
function liveNeed(name: string, params: Record<string, unknown> | undefined, ctx: LivePlanContext): Need {
  if (ctx.stateKeys.has(name)) return { credits: 0, note: `'${name}' with the key you gave` };
  switch (name) {
    case 'an API key with credits':
    case 'sync models finish without waiting':
    case 'the node is up':
      return { credits: 0 };
    case 'an API key without credits':
    case 'an API key at its rate limit':
      return { reason: `needs ${name}: pass --state-key '${name}=aio_…'` };
    case 'a task exists': {
      const status = String(params?.status ?? 'COMPLETED');
      if (status !== 'COMPLETED' && status !== 'IN_PROGRESS')
        return { reason: `a live deployment cannot be made to hold a task ${status} on demand` };
      const pick = cheapestModel(ctx.models, status === 'IN_PROGRESS');
      if (!pick)
        return { reason: `the target lists no ${status === 'IN_PROGRESS' ? 'async ' : ''}model to make a task of` };
      return { credits: pick.sub.credits, note: `a ${pick.sub.id} task, polled to ${status}` };
    }
    case 'a job exists':
      return { reason: "a live node cannot be made to hold a job under the pact's id on demand" };
    default:
      return { reason: `no live set-up is known for the state '${name}'` };
  }
}

/**
 * Decide, interaction by interaction in pact order, what live mode can verify and what it costs;
 * an interaction that would take the run past the budget is left out (and listed, with why).
 */
export function planPact(pact: PactDoc, ctx: LivePlanContext): PlannedInteraction[] {
  let total = 0;
  return pact.interactions.map((i) => {
    const states = (i.providerStates ?? []).map((s) => s.name);
    const base = { description: i.description, states };
    if (i.type?.includes('Messages'))
      return {
        ...base,
        verifiable: false,
        credits: 0,
        reason: 'a message pact needs the deployment to deliver a webhook to this machine',
      };
    let credits = 0;
    const notes: string[] = [];
    for (const s of i.providerStates ?? []) {
      const need = liveNeed(s.name, s.params, ctx);
      if ('reason' in need) return { ...base, verifiable: false, credits: 0, reason: need.reason };
      credits += need.credits;
      if (need.note) notes.push(need.note);
    }
    const generates =
      i.request?.method === 'POST' && i.request.path?.endsWith('/images/generations') && i.response?.status === 200;
    if (generates) credits += priceOfRequest(ctx.models, i.request?.body?.content);
    if (total + credits > ctx.budget)
      return {
        ...base,
        verifiable: false,
        credits,
        reason: `needs ~${credits} credits, past the budget of ${ctx.budget} (--max-credits, or the key's available credits)`,
      };
    total += credits;
    return { ...base, verifiable: true, credits, ...(notes.length ? { note: notes.join('; ') } : {}) };
  });
}

/** Plan several pacts against one budget, in order. */
export function planPacts(
  pacts: Array<PactDoc & { file: string }>,
  ctx: LivePlanContext,
): Map<string, PlannedInteraction[]> {
  const plans = new Map<string, PlannedInteraction[]>();
  let left = ctx.budget;
  for (const p of pacts) {
    const plan = planPact(p, { ...ctx, budget: left });
    left -= plan.filter((i) => i.verifiable).reduce((sum, i) => sum + i.credits, 0);
    plans.set(p.file, plan);
  }
  return plans;
}
