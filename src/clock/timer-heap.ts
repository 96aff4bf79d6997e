/** A callback a timer runs with its argument: one function shared by many timers, so a timer needs no closure. */
export type TimerFn<A> = (arg: A) => void | Promise<void>;

/** A cancellable timer (Clock.schedule): its entry in the heap runs `fn` unless cancelled first. */
export interface Timer {
  fn: () => void | Promise<void>;
  cancelled: boolean;
}

/**
 * A binary min-heap of timers by (at, seq): O(log n) with 100k+ timers in flight. `seq` keeps
 * timers due at the same time in the order they were set. An entry is four columns, not an
 * object: `at` sits unboxed in an array of doubles (an object field would box it in a 16 B heap
 * number), and an entry costs about 32 B against ~190 B for an object with a closure and its context.
 */
export class TimerHeap {
  private ats: number[] = [];
  private seqs: number[] = [];
  private fns: TimerFn<never>[] = [];
  private args: unknown[] = [];

  get size(): number {
    return this.ats.length;
  }

  /** When the earliest entry is due (Infinity when empty). */
  peekAt(): number {
    return this.ats.length > 0 ? (this.ats[0] ?? Infinity) : Infinity;
  }

  /** The earliest entry's callback and argument (undefined when empty); pop() removes it. */
  peekFn(): TimerFn<never> | undefined {
    return this.fns[0];
  }

  peekArg(): unknown {
    return this.args[0];
  }

  peekSeq(): number | undefined {
    return this.seqs[0];
  }

  push<A>(at: number, seq: number, fn: TimerFn<A>, arg: A): void {
    const { ats, seqs, fns, args } = this;
    let i = ats.length;
    // Sift up with a hole: parents move down until the new entry's place is found, then it is written once.
    ats.push(at);
    seqs.push(seq);
    fns.push(fn);
    args.push(arg);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pAt = ats[parent] ?? 0;
      const pSeq = seqs[parent] ?? 0;
      if (!(at < pAt || (at === pAt && seq < pSeq))) break;
      this.move(parent, i);
      i = parent;
    }
    this.put(i, at, seq, fn, arg);
  }

  /** Remove the earliest entry (read it first with the peek methods). */
  pop(): void {
    const { ats, seqs, fns, args } = this;
    const n = ats.length - 1;
    if (n < 0) return;
    const at = ats[n] ?? 0;
    const seq = seqs[n] ?? 0;
    const fn = fns[n];
    const arg = args[n];
    ats.pop();
    seqs.pop();
    fns.pop();
    args.pop();
    if (n === 0 || fn === undefined) return;
    // Sift the last entry down from the root, with a hole as in push().
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && earlier(ats, seqs, r, l)) m = r;
      const mAt = ats[m] ?? 0;
      if (!(mAt < at || (mAt === at && (seqs[m] ?? 0) < seq))) break;
      this.move(m, i);
      i = m;
    }
    this.put(i, at, seq, fn, arg);
  }

  /** Empty the heap; returns the arguments of the entries it held, with their callbacks. */
  clear(): { fns: TimerFn<never>[]; args: unknown[] } {
    const dropped = { fns: this.fns, args: this.args };
    this.ats = [];
    this.seqs = [];
    this.fns = [];
    this.args = [];
    return dropped;
  }

  private move(from: number, to: number): void {
    this.ats[to] = this.ats[from] ?? 0;
    this.seqs[to] = this.seqs[from] ?? 0;
    this.fns[to] = this.fns[from] as TimerFn<never>;
    this.args[to] = this.args[from];
  }

  private put(i: number, at: number, seq: number, fn: TimerFn<never>, arg: unknown): void {
    this.ats[i] = at;
    this.seqs[i] = seq;
    this.fns[i] = fn;
    this.args[i] = arg;
  }
}

const earlier = (ats: number[], seqs: number[], x: number, y: number): boolean => {
  const ax = ats[x] ?? 0;
  const ay = ats[y] ?? 0;
  return ax < ay || (ax === ay && (seqs[x] ?? 0) < (seqs[y] ?? 0));
};
