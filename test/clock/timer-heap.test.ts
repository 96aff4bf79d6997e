import { describe, expect, it } from 'vitest';
import { TimerHeap, type Timer } from '../../src/clock/timer-heap.js';
import { createRng } from '../../src/rng/rng.js';

const noop = () => {};
const timer = (at: number, seq: number): Timer => ({ at, seq, fn: noop, cancelled: false });
const byAtSeq = (a: Timer, b: Timer) => a.at - b.at || a.seq - b.seq;

function drain(heap: TimerHeap): Timer[] {
  const out: Timer[] = [];
  for (let t = heap.pop(); t; t = heap.pop()) out.push(t);
  return out;
}

describe('TimerHeap', () => {
  it('is empty at first: peek and pop give undefined, size 0', () => {
    const heap = new TimerHeap();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
  });

  it.each([1, 2, 3, 10, 257, 5000])('pops %i random inserts in (at, seq) order, the same order as a sort', (n) => {
    const rng = createRng(n);
    const heap = new TimerHeap();
    const timers: Timer[] = [];
    // A narrow range of times, so that many timers share an `at` and seq has to break the tie.
    for (let seq = 0; seq < n; seq++) timers.push(timer(Math.floor(rng.next() * Math.max(1, n / 4)), seq));
    // Insert in a shuffled order (Fisher-Yates): seq must decide ties, not insertion order.
    const shuffled = [...timers];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    for (const t of shuffled) heap.push(t);
    expect(heap.size).toBe(n);
    expect(heap.peek()).toBe([...timers].sort(byAtSeq)[0]);
    const popped = drain(heap);
    expect(popped).toEqual([...timers].sort(byAtSeq));
    expect(heap.size).toBe(0);
  });

  it('keeps its order when pushes and pops interleave', () => {
    const rng = createRng(99);
    const heap = new TimerHeap();
    const live: Timer[] = [];
    let seq = 0;
    for (let step = 0; step < 20_000; step++) {
      if (live.length === 0 || rng.next() < 0.6) {
        const t = timer(Math.floor(rng.next() * 500), seq++);
        heap.push(t);
        live.push(t);
      } else {
        live.sort(byAtSeq);
        expect(heap.pop()).toBe(live.shift());
      }
      expect(heap.size).toBe(live.length);
    }
    expect(drain(heap)).toEqual(live.sort(byAtSeq));
  });

  it('orders equal times by seq and clear() empties it', () => {
    const heap = new TimerHeap();
    for (const seq of [5, 3, 9, 1]) heap.push(timer(100, seq));
    heap.push(timer(50, 10));
    expect(drain(heap).map((t) => [t.at, t.seq])).toEqual([
      [50, 10],
      [100, 1],
      [100, 3],
      [100, 5],
      [100, 9],
    ]);
    heap.push(timer(1, 1));
    heap.push(timer(2, 2));
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });
});
