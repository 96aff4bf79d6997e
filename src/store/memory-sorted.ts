/**
 * Entries (time, seq), each with an optional job id, in ascending (time, seq) order: the order of
 * a Redis ZSET scored by time with zero-padded seq members. Binary search, so counts and ranks are
 * O(log n).
 *
 * Kept as parallel arrays rather than one small array per entry: a time array holds its numbers
 * unboxed (V8's double elements) and a seq array small integers, about 16 bytes an entry where a
 * `[time, seq]` tuple costs about 90 (its array, its elements and a boxed time). A job book keeps
 * two entries for every job in flight.
 */
export class SortedEntries {
  private times: number[] = [];
  private seqs: number[] = [];
  /** Parallel to times when the entries carry ids (a book's finishes), else empty. */
  private ids: string[] = [];

  constructor(private readonly withIds = false) {}

  /** Index of the first entry not before (time, seq). */
  private lower(time: number, seq: number): number {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.times[mid] ?? Infinity;
      if (t < time || (t === time && (this.seqs[mid] ?? Infinity) < seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(time: number, seq: number, id = ''): void {
    const i = this.lower(time, seq);
    if (i === this.times.length) {
      // The common case (times mostly arrive in order): no shift.
      this.times.push(time);
      this.seqs.push(seq);
      if (this.withIds) this.ids.push(id);
      return;
    }
    this.times.splice(i, 0, time);
    this.seqs.splice(i, 0, seq);
    if (this.withIds) this.ids.splice(i, 0, id);
  }

  remove(time: number, seq: number): void {
    const i = this.lower(time, seq);
    if (this.times[i] !== time || this.seqs[i] !== seq) return;
    this.times.splice(i, 1);
    this.seqs.splice(i, 1);
    if (this.withIds) this.ids.splice(i, 1);
  }

  rank(time: number, seq: number): number {
    return this.lower(time, seq);
  }

  /** Entries with time <= t. */
  atOrBefore(t: number): number {
    return this.lower(t, Infinity);
  }

  get size(): number {
    return this.times.length;
  }

  /** The time of the n-th entry from the end (1 = the last), -Infinity with fewer. */
  nthFromEnd(n: number): number {
    return this.times[this.times.length - n] ?? -Infinity;
  }

  /** Drops entries with time <= t (they no longer count as queued or running); the ids they carried. */
  prune(t: number): string[] {
    const n = this.atOrBefore(t);
    if (n === 0) return [];
    this.times.splice(0, n);
    this.seqs.splice(0, n);
    return this.withIds ? this.ids.splice(0, n) : [];
  }

  clear(): void {
    this.times = [];
    this.seqs = [];
    this.ids = [];
  }
}
