import { describe, expect, it } from 'vitest';
import { TimerHeap } from '../../src/clock/timer-heap.js';
import { createRng } from '../../src/rng/rng.js';

/** An entry's time and seq, kept as its argument too, so each pop can be checked against its columns. */
interface Entry {
  at: number;
  seq: number;
}
const noop = () => {};
const timer = (at: number, seq: number): Entry => ({ at, seq });
const byAtSeq = (a: Entry, b: Entry) => a.at - b.at || a.seq - b.seq;
const push = (heap: TimerHeap, e: Entry) => heap.push(e.at, e.seq, noop, e);

/** The earliest entry (its argument), after checking its time and seq columns agree with it. */
function peek(heap: TimerHeap): Entry | undefined {
  const e = heap.peekArg() as Entry | undefined;
  if (e) expect([heap.peekAt(), heap.peekSeq(), heap.peekFn()]).toEqual([e.at, e.seq, noop]);
  return e;
}

function pop(heap: TimerHeap): Entry | undefined {
  const e = peek(heap);
  heap.pop();
  return e;
}

function drain(heap: TimerHeap): Entry[] {
  const out: Entry[] = [];
  for (let t = pop(heap); t; t = pop(heap)) out.push(t);
  return out;
}

describe('TimerHeap', () => {
  it('is empty at first: peek and pop give undefined, size 0', () => {
    const heap = new TimerHeap();
    expect(heap.size).toBe(0);
    expect(peek(heap)).toBeUndefined();
    expect(heap.peekAt()).toBe(Infinity);
    expect(pop(heap)).toBeUndefined();
  });

  it.each([1, 2, 3, 10, 257, 5000])('pops %i random inserts in (at, seq) order, the same order as a sort', (n) => {
    const rng = createRng(n);
    const heap = new TimerHeap();
    const timers: Entry[] = [];
    // A narrow range of times, so that many timers share an `at` and seq has to break the tie.
    for (let seq = 0; seq < n; seq++) timers.push(timer(Math.floor(rng.next() * Math.max(1, n / 4)), seq));
    // Insert in a shuffled order (Fisher-Yates): seq must decide ties, not insertion order.
    const shuffled = [...timers];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    for (const t of shuffled) push(heap, t);
    expect(heap.size).toBe(n);
    expect(peek(heap)).toBe([...timers].sort(byAtSeq)[0]);
    const popped = drain(heap);
    expect(popped).toEqual([...timers].sort(byAtSeq));
    expect(heap.size).toBe(0);
  });

  it('keeps its order when pushes and pops interleave', () => {
    const rng = createRng(99);
    const heap = new TimerHeap();
    const live: Entry[] = [];
    let seq = 0;
    for (let step = 0; step < 20_000; step++) {
      if (live.length === 0 || rng.next() < 0.6) {
        const t = timer(Math.floor(rng.next() * 500), seq++);
        push(heap, t);
        live.push(t);
      } else {
        live.sort(byAtSeq);
        expect(pop(heap)).toBe(live.shift());
      }
      expect(heap.size).toBe(live.length);
    }
    expect(drain(heap)).toEqual(live.sort(byAtSeq));
  });

  it('orders equal times by seq and clear() empties it', () => {
    const heap = new TimerHeap();
    for (const seq of [5, 3, 9, 1]) push(heap, timer(100, seq));
    push(heap, timer(50, 10));
    expect(drain(heap).map((t) => [t.at, t.seq])).toEqual([
      [50, 10],
      [100, 1],
      [100, 3],
      [100, 5],
      [100, 9],
    ]);
    push(heap, timer(1, 1));
    push(heap, timer(2, 2));
    expect(heap.clear().args).toHaveLength(2);
    expect(heap.size).toBe(0);
    expect(pop(heap)).toBeUndefined();
  });
});
