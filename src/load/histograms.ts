import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';
import { PHASES, type LatencyStat, type Phase } from './thresholds.js';

/** A phase's latency summary in ms, with the histogram itself (compressed, base64) so reports merge. */
export interface LatencyStats {
  count: number;
  min_ms: number;
  mean_ms: number;
  p50_ms: number;
  p90_ms: number;
  p95_ms: number;
  p99_ms: number;
  p999_ms: number;
  max_ms: number;
  /** HdrHistogram V2 compressed encoding of the values in microseconds. */
  hdr: string;
}

export type PhaseLatency = { all: LatencyStats; models: Record<string, LatencyStats> };
export type LatencyReport = Record<Phase, PhaseLatency>;

// Microseconds, 3 significant digits: 0.1% resolution from 1 µs to hours, auto-resizing.
const newHistogram = (): Histogram => hdr.build({ numberOfSignificantValueDigits: 3 });

/**
 * A histogram a run records into, in hdr-histogram-js's WebAssembly build: about 0.03 µs a
 * value against 0.2 µs in its JS build (floating-point log2 and pow per value), at one value or
 * more per request. The same buckets and encoding; its memory is WebAssembly's, freed by
 * `destroy()`.
 */
function liveHistogram(): Histogram {
  hdr.initWebAssemblySync(); // once per process; then a no-op
  return hdr.build({ numberOfSignificantValueDigits: 3, useWebAssembly: true });
}

/** Frees a collected recorder's histograms should it not have been destroyed. */
const unfreed = new FinalizationRegistry<Histogram[]>((histograms) => histograms.forEach((h) => h.destroy()));
const US = 1000;
const ms = (us: number): number => Math.round(us) / US;

export function recordMs(h: Histogram, valueMs: number): void {
  h.recordValue(Math.max(1, Math.round(valueMs * US)));
}

export const encodeHistogram = (h: Histogram): string => hdr.encodeIntoCompressedBase64(h);
export const decodeHistogram = (text: string): Histogram => hdr.decodeFromCompressedBase64(text);

/** A value read from the histogram, in ms; null when it holds no samples. */
export function statOf(h: Histogram, stat: LatencyStat): number | null {
  if (h.totalCount === 0) return null;
  // An HDR bucket reports its highest equivalent value, which can sit just above the true max.
  if (stat.kind === 'percentile') return ms(Math.min(h.getValueAtPercentile(stat.p), h.maxValue));
  return ms(stat.kind === 'avg' ? h.mean : stat.kind === 'min' ? h.minNonZeroValue : h.maxValue);
}

/**
 * Summary and encoding of a histogram. The numbers are read back from the encoding, so a
 * report says exactly what its histogram says, and merged reports agree with single ones
 * (a live histogram remembers its exact min and max; an encoded one only their buckets).
 */
export function statsOf(live: Histogram): LatencyStats {
  const hdr = encodeHistogram(live);
  const h = decodeHistogram(hdr);
  const p = (q: number) => statOf(h, { kind: 'percentile', p: q }) ?? 0;
  const empty = h.totalCount === 0;
  return {
    count: h.totalCount,
    min_ms: empty ? 0 : ms(h.minNonZeroValue),
    mean_ms: empty ? 0 : ms(h.mean),
    p50_ms: p(50),
    p90_ms: p(90),
    p95_ms: p(95),
    p99_ms: p(99),
    p999_ms: p(99.9),
    max_ms: empty ? 0 : ms(h.maxValue),
    hdr,
  };
}

/** Sum of encoded histograms, as a histogram. */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const total = newHistogram();
  for (const text of encoded) total.add(decodeHistogram(text));
  return total;
}

/** Histograms per phase, overall and per model. */
export class LatencyRecorder {
  /** Every histogram made, to be freed. */
  private readonly made: Histogram[] = [];
  private readonly all = new Map<Phase, Histogram>(PHASES.map((p) => [p, this.created(liveHistogram())]));
  private readonly byModel = new Map<Phase, Map<string, Histogram>>(PHASES.map((p) => [p, new Map()]));

  /**
   * `onlyModel`: when a run has one model, its histograms are the overall ones (the same
   * values would go into both), so each value is recorded once, not twice. Should another
   * model come after all, the one model's histograms become copies of their own.
   */
  constructor(private onlyModel?: string) {
    unfreed.register(this, this.made, this);
  }

  private created(h: Histogram): Histogram {
    this.made.push(h);
    return h;
  }

  /** Free the histograms (report first: a destroyed histogram cannot be read). */
  destroy(): void {
    unfreed.unregister(this);
    for (const h of this.made.splice(0)) h.destroy();
  }

  record(phase: Phase, model: string, valueMs: number): void {
    if (this.onlyModel !== undefined && model !== this.onlyModel) this.separate(this.onlyModel);
    const all = this.all.get(phase)!;
    const models = this.byModel.get(phase)!;
    let h = models.get(model);
    if (!h) models.set(model, (h = model === this.onlyModel ? all : this.created(liveHistogram())));
    recordMs(all, valueMs);
    if (h !== all) recordMs(h, valueMs);
  }

  private separate(model: string): void {
    this.onlyModel = undefined;
    for (const phase of PHASES) {
      const models = this.byModel.get(phase)!;
      const shared = models.get(model);
      if (shared !== this.all.get(phase)) continue;
      const own = this.created(liveHistogram());
      if (shared) own.add(shared);
      models.set(model, own);
    }
  }

  histogram(phase: Phase, model?: string): Histogram | undefined {
    return model === undefined ? this.all.get(phase) : this.byModel.get(phase)!.get(model);
  }

  report(): LatencyReport {
    const entry = (phase: Phase): PhaseLatency => ({
      all: statsOf(this.all.get(phase)!),
      models: Object.fromEntries(
        [...this.byModel.get(phase)!].sort(([a], [b]) => a.localeCompare(b)).map(([m, h]) => [m, statsOf(h)]),
      ),
    });
    return Object.fromEntries(PHASES.map((p) => [p, entry(p)])) as LatencyReport;
  }
}
