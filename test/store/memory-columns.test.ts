import { describe, expect, it } from 'vitest';
import { ledgerTotals } from '../../src/ledger/ledger.js';
import { MemoryJobBook } from '../../src/store/memory-job-book.js';
import { MemoryLedger } from '../../src/store/memory-ledger.js';
import { HoldValues } from '../../src/store/memory-parts.js';
import { SortedEntries } from '../../src/store/memory-sorted.js';
import type { LedgerKind } from '../../src/store/store.js';

describe('SortedEntries', () => {
  it('keeps (time, seq) order wherever an entry lands, ranks and counts by time, prunes with the ids carried', () => {
    const e = new SortedEntries(true);
    e.add(30, 3, 'c');
    e.add(10, 1, 'a');
    e.add(30, 2, 'b'); // same time, lower seq: before c
    e.add(Infinity, 4, 'never');
    e.add(20, 5, 'd');
    expect(e.size).toBe(5);
    expect([e.rank(10, 1), e.rank(20, 5), e.rank(30, 2), e.rank(30, 3), e.rank(Infinity, 4)]).toEqual([0, 1, 2, 3, 4]);
    expect(e.atOrBefore(29)).toBe(2);
    expect(e.atOrBefore(30)).toBe(4);
    expect([e.nthFromEnd(1), e.nthFromEnd(2), e.nthFromEnd(6)]).toEqual([Infinity, 30, -Infinity]);
    e.remove(30, 9); // no such entry: nothing moves
    e.remove(20, 5);
    expect(e.size).toBe(4);
    expect(e.prune(30)).toEqual(['a', 'b', 'c']);
    expect(e.size).toBe(1);
    expect(e.prune(1e15)).toEqual([]);
    e.clear();
    expect(e.size).toBe(0);
  });

  it('carries no ids unless asked', () => {
    const e = new SortedEntries();
    e.add(5, 1);
    e.add(1, 2);
    expect(e.prune(10)).toEqual([]);
    expect(e.size).toBe(0);
  });
});

describe('MemoryLedger', () => {
  const kinds: LedgerKind[] = ['hold', 'capture', 'hold', 'release'];

  it('reads back every field of every entry in order, one key or all', () => {
    const l = new MemoryLedger(100);
    l.record('k1', 'grant', 50, null, 50, 0, 1.5e12);
    l.record('k2', 'hold', 4, 'task_a', 1e12, 4, 1.5e12 + 0.25);
    expect(l.entries()).toEqual([
      { seq: 1, at: 1.5e12, key: 'k1', kind: 'grant', amount: 50, task_id: null, balance: 50, held: 0 },
      { seq: 2, at: 1.5e12 + 0.25, key: 'k2', kind: 'hold', amount: 4, task_id: 'task_a', balance: 1e12, held: 4 },
    ]);
    expect(l.entries('k2').map((e) => e.seq)).toEqual([2]);
    const read = l.entries();
    read[0]!.amount = 999; // a copy: the ledger does not move
    expect(l.entries()[0]?.amount).toBe(50);
  });

  it('holds at most a quarter more than its newest entries (and the carried ones) as it grows', () => {
    const keep = 400;
    const l = new MemoryLedger(keep);
    l.record('quiet', 'grant', 50, null, 50, 0, 0);
    let most = 0;
    for (let i = 0; i < 5 * keep; i++) {
      l.record('busy', 'hold', 1, `t${i}`, 1e6, i + 1, i);
      most = Math.max(most, l.size);
    }
    expect(most).toBeLessThanOrEqual(keep + keep / 4 + 1);
    expect(
      l
        .entries()
        .slice(-keep)
        .map((e) => e.seq),
    ).toEqual(Array.from({ length: keep }, (_, i) => 5 * keep + 1 - keep + i + 1));
  });

  it('trims to its newest entries plus the last older one of each other key, so every key still adds up', () => {
    const keep = 5;
    const l = new MemoryLedger(keep);
    l.record('quiet', 'grant', 50, null, 50, 0, 0);
    let balance = 1000;
    let held = 0;
    l.record('busy', 'grant', 1000, null, balance, held, 0);
    for (let i = 0; i < 40; i++) {
      const kind = kinds[i % 4] ?? 'hold';
      if (kind === 'hold') held += 8;
      else {
        held -= 8;
        if (kind === 'capture') balance -= 8;
      }
      l.record('busy', kind, 8, `t${i >> 1}`, balance, held, i);
      expect(l.size).toBeLessThan(3 * keep);
    }
    const entries = l.entries();
    expect(entries[0]).toMatchObject({ key: 'quiet', seq: 1 });
    expect(entries.at(-1)?.seq).toBe(42);
    expect(entries.slice(1).every((e) => e.key === 'busy')).toBe(true);
    const seqs = entries.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(ledgerTotals(entries)).toEqual({ balance: 50 + 1000 - 10 * 8, held: 0 });
    expect(ledgerTotals(l.entries('busy'))).toEqual({ balance: 1000 - 10 * 8, held: 0 });
    l.clear();
    expect(l.entries()).toEqual([]);
    l.record('k', 'grant', 1, null, 1, 0, 0);
    expect(l.entries()[0]?.seq).toBe(1);
  });
});

describe('HoldValues', () => {
  it('gives one value per (key, amount), a distinct one for any other pair, and stops remembering past its limit', () => {
    const h = new HoldValues(2);
    const a = h.of('k1', 4);
    expect(h.of('k1', 4)).toBe(a);
    expect(a).toEqual({ key: 'k1', amount: 4 });
    const b = h.of('k1', 8);
    expect(b).not.toBe(a);
    expect(h.of('k2', 4)).toEqual({ key: 'k2', amount: 4 });
    expect(h.of('k2', 4)).not.toBe(h.of('k2', 4)); // past the limit: fresh each time, still right
    h.clear();
    expect(h.of('k1', 4)).not.toBe(a);
  });
});

describe('MemoryJobBook job records', () => {
  it('books every field of the job as given, with its seq and timeline, and replans one the same way', async () => {
    const book = new MemoryJobBook();
    const job = { id: 'j1', model: 'imagen-4', modelId: 'imagen4', submittedAt: 5, width: 2, height: 3, numImages: 2 };
    const r = {
      job,
      now: 5,
      capacity: 1,
      rooms: [],
      baseRunMs: 100,
      latency: [],
      failure: { rate: 1, faults: [], draw: 0.5, error: { type: 'provider_error', detail: 'x' } },
    };
    expect(await book.reserve(r)).toEqual({
      ...job,
      seq: 1,
      startAt: 5,
      finishAt: 105,
      error: { type: 'provider_error', detail: 'x' },
    });
    // Capacity 0 from now on: the next job waits with no known start, then is planned when the room comes back.
    const stalled = { ...r, job: { ...job, id: 'j2' }, rooms: [{ from: 0, until: null, value: 0 }] };
    expect(await book.reserve(stalled)).toMatchObject({ id: 'j2', seq: 2, startAt: null, finishAt: null });
    expect(await book.replan({ ...stalled, rooms: [] })).toEqual({
      ...job,
      id: 'j2',
      seq: 2,
      startAt: 105,
      finishAt: 205,
      error: { type: 'provider_error', detail: 'x' },
    });
    expect((await book.read('j2', 106))?.queuePosition).toBeNull();
    expect((await book.read('j2', 50))?.queuePosition).toBe(1);
  });
});
