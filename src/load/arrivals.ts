import { createRng, mix32 } from '../rng/rng.js';

/** A stretch of the run whose arrival rate moves linearly from `from` to `to` per second. */
export interface RateStage {
  durationMs: number;
  from: number;
  to: number;
}

export interface Arrival {
  /** Position in the whole run's arrival sequence (the same whichever shard takes it). */
  index: number;
  /** Intended send time, ms after the run's start. */
  atMs: number;
}

/** `i/n`: this process takes arrivals whose index ≡ i−1 (mod n). */
export interface Shard {
  index: number;
  count: number;
}

export const WHOLE: Shard = { index: 1, count: 1 };
export const inShard = (arrivalIndex: number, shard: Shard): boolean => arrivalIndex % shard.count === shard.index - 1;
export const shardLabel = (shard: Shard): string => `${shard.index}/${shard.count}`;

/** Stages from a scenario: one constant stage, or k6-style ramps from `startRate` to each target. */
export function stagesOf(
  spec:
    { rate: number; durationMs: number } | { startRate: number; stages: Array<{ durationMs: number; target: number }> },
): RateStage[] {
  if ('rate' in spec) return [{ durationMs: spec.durationMs, from: spec.rate, to: spec.rate }];
  let from = spec.startRate;
  return spec.stages.map((s) => {
    const stage = { durationMs: s.durationMs, from, to: s.target };
    from = s.target;
    return stage;
  });
}

/** Expected arrivals in a stage: the integral of its rate. */
const stageMass = (s: RateStage): number => ((s.from + s.to) / 2) * (s.durationMs / 1000);

/** Seconds into a stage at which the cumulative arrivals reach `c` (≤ its mass): inverts c = a·t² + b·t. */
function invert(s: RateStage, c: number): number {
  const d = s.durationMs / 1000;
  const a = (s.to - s.from) / (2 * d);
  const b = s.from;
  if (c <= 0) return 0;
  // 2c / (b + √(b² + 4ac)) is the root of a·t² + b·t − c without cancellation when a → 0.
  return (2 * c) / (b + Math.sqrt(Math.max(0, b * b + 4 * a * c)));
}

const EPSILON = 1e-9;

/**
 * Open-model arrival times: the k-th arrival is sent when the cumulative rate reaches k + ½
 * (uniform), or a Poisson process with the same rate (exponential gaps under `seed`), never
 * paced by responses. Deterministic; every shard walks the same sequence and keeps its share.
 */
export class ArrivalSchedule {
  readonly durationMs: number;
  /** Expected arrivals over the run (exact for uniform). */
  readonly mass: number;

  constructor(
    readonly stages: readonly RateStage[],
    readonly process: 'uniform' | 'poisson' = 'uniform',
    readonly seed = 1,
  ) {
    this.durationMs = stages.reduce((s, st) => s + st.durationMs, 0);
    this.mass = stages.reduce((s, st) => s + stageMass(st), 0);
  }

  /** Uniform: how many arrivals the whole run has (k + ½ < mass). */
  uniformCount(): number {
    return Math.max(0, Math.ceil(this.mass - 0.5 - EPSILON));
  }

  /** ms after the start at which the cumulative rate reaches `c`; undefined beyond the run. */
  timeOf(c: number): number | undefined {
    return this.cursor().timeOf(c);
  }

  /** How many arrivals `shard` gets (uniform: by arithmetic; Poisson: by walking the sequence). */
  count(shard: Shard = WHOLE): number {
    if (this.process === 'poisson') {
      let n = 0;
      for (const _ of this.arrivals(shard)) n++;
      return n;
    }
    const total = this.uniformCount();
    return Math.max(0, Math.ceil((total - (shard.index - 1)) / shard.count));
  }

  /** Every arrival of the run in order, or only those of `shard`. Bounded by the run's length. */
  *arrivals(shard: Shard = WHOLE): Generator<Arrival> {
    const rng = createRng(mix32(this.seed, 0xa11a1));
    const cursor = this.cursor();
    let c = 0;
    for (let index = 0; ; index++) {
      c = this.process === 'uniform' ? index + 0.5 : c - Math.log(1 - rng.next());
      const atMs = cursor.timeOf(c);
      if (atMs === undefined || atMs >= this.durationMs) return;
      if (inShard(index, shard)) yield { index, atMs };
    }
  }

  /** Walks the stages forward for non-decreasing `c`, so a long run costs O(arrivals + stages). */
  private cursor(): { timeOf(c: number): number | undefined } {
    let i = 0;
    let startMs = 0;
    let before = 0;
    const stages = this.stages;
    return {
      timeOf(c) {
        while (i < stages.length) {
          const s = stages[i]!;
          const mass = stageMass(s);
          if (c < before + mass - EPSILON) return startMs + invert(s, c - before) * 1000;
          before += mass;
          startMs += s.durationMs;
          i++;
        }
        return undefined;
      },
    };
  }
}

/** Parse `--shard i/n`; undefined when malformed. */
export function parseShard(text: string): Shard | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && count <= 10_000 && index >= 1 && index <= count ? { index, count } : undefined;
}
