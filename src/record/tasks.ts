import { parseJson, type Exchange, type Session } from './session.js';

export type Outcome = 'COMPLETED' | 'FAILED';

/** One generation of a recording: its create call, and the first answer that showed it ended. */
export interface TaskTrack {
  id: string;
  /** The `model` the client asked for (an id, alias or sub-model). */
  model: string;
  numImages: number;
  create: Exchange;
  end?: { outcome: Outcome; exchange: Exchange; errorCode?: string };
  /** From the start of the create to the end of the answer that showed the task ended. */
  completionMs?: number;
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** The payload of a success answer: the envelope's `data`, or the body itself (the docs' other shape). */
export function payload(json: unknown): Record<string, unknown> | undefined {
  const body = obj(json);
  return obj(body?.data) ?? body;
}

export function taskIdOf(json: unknown): string | undefined {
  const p = payload(json);
  const id = p?.task_id ?? p?.id;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/** COMPLETED or FAILED, whatever the case the gateway writes them in; undefined while running. */
export function outcomeOf(json: unknown): Outcome | undefined {
  const status = payload(json)?.status;
  if (typeof status !== 'string') return undefined;
  const s = status.toUpperCase();
  return s === 'COMPLETED' || s === 'SUCCEEDED' ? 'COMPLETED' : s === 'FAILED' ? 'FAILED' : undefined;
}

/** The `model` a create call asked for. */
export const requestedModel = (x: Exchange): string | undefined => requested(x)?.model;

function requested(x: Exchange): { model: string; numImages: number } | undefined {
  const body = obj(parseJson(x.requestBody));
  if (typeof body?.model !== 'string') return undefined;
  const n = body.num_images;
  return { model: body.model, numImages: typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 1 };
}

export const isCreate = (x: Exchange) => x.route === 'POST /images/generations';
export const isPoll = (x: Exchange) => x.route === 'GET /tasks/{task_id}';
export const isCredits = (x: Exchange) => x.route === 'GET /credits';

/** Every accepted generation of the session, with how (and when) it ended if the session saw it. */
export function taskTracks(session: Pick<Session, 'exchanges'>): TaskTrack[] {
  const tracks = new Map<string, TaskTrack>();
  for (const x of session.exchanges) {
    if (x.status < 200 || x.status >= 300) continue;
    const id = taskIdOf(x.json);
    if (!id) continue;
    if (isCreate(x)) {
      const req = requested(x);
      if (!req || tracks.has(id)) continue;
      tracks.set(id, { id, ...req, create: x });
    } else if (!isPoll(x)) continue;
    const track = tracks.get(id);
    const outcome = outcomeOf(x.json);
    if (!track || track.end || !outcome) continue;
    const error = obj(payload(x.json)?.error);
    track.end = { outcome, exchange: x, ...(typeof error?.code === 'string' ? { errorCode: error.code } : {}) };
    track.completionMs = x.endMs - track.create.startMs;
  }
  return [...tracks.values()];
}

/** Credits per image seen through `GET /credits`: one figure per read that follows tasks of one model alone. */
export interface PriceObservation {
  model: string;
  creditsPerImage: number;
  /** The read that showed the change. */
  at: Exchange;
}

const balanceOf = (json: unknown): number | undefined => {
  const b = payload(json)?.balance;
  return typeof b === 'number' ? b : undefined;
};

/**
 * Prices from balance changes: between two reads of `GET /credits`, when every task created so far
 * was seen ended and those that completed in between all asked for the same model, the drop in
 * balance over their images is that model's price. Reads that mix models or overlap running tasks
 * prove nothing and are passed over.
 */
export function priceObservations(session: Pick<Session, 'exchanges'>, tracks: TaskTrack[]): PriceObservation[] {
  const out: PriceObservation[] = [];
  let last: { balance: number; at: number } | undefined;
  for (const x of session.exchanges) {
    if (!isCredits(x) || x.status !== 200) continue;
    const balance = balanceOf(x.json);
    if (balance === undefined) continue;
    const created = tracks.filter((t) => t.create.index < x.index);
    const settled = created.every((t) => t.end && t.end.exchange.index < x.index);
    if (last && settled) {
      const since = last.at;
      const completed = created.filter((t) => t.end!.outcome === 'COMPLETED' && t.end!.exchange.index > since);
      const models = new Set(completed.map((t) => t.model));
      const images = completed.reduce((n, t) => n + t.numImages, 0);
      if (models.size === 1 && images > 0)
        out.push({ model: [...models][0]!, creditsPerImage: (last.balance - balance) / images, at: x });
    }
    if (settled) last = { balance, at: x.index };
  }
  return out;
}

/** The q-quantile (0–1) of sorted samples, linearly interpolated (R's type 7, NumPy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
