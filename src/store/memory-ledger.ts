import type { LedgerEntry, LedgerKind } from './store.js';

const KINDS: readonly LedgerKind[] = ['grant', 'topup', 'hold', 'capture', 'release'];
const KIND_CODE: Readonly<Record<LedgerKind, number>> = { grant: 0, topup: 1, hold: 2, capture: 3, release: 4 };

/**
 * The memory store's ledger, one array per field rather than one object per entry: every task
 * adds a hold and a capture or release, and the newest 3 × `keepFinished` entries are kept, so
 * entries are most of what a long run holds. Numbers in an array of numbers are stored unboxed
 * (about 64 bytes an entry here, against about 150 for an entry object with its boxed time and
 * balance). Entries are built as objects only when read.
 *
 * Kept to its newest `keep` entries, plus each key's last older entry when the key has none among
 * them, so every key's balance and held still follow from what is kept (`ledgerTotals`). It is cut
 * back when it has grown by a quarter of `keep` more, so a trim is O(1) amortized per entry (four
 * copies) and a long run holds at most 1.25 × `keep` entries, not twice that: at 5,000 tasks a
 * second the default's 300k entries fill in 30 s, and a heap still growing after the task records
 * stopped (at 100k finished) is what the collector then walks.
 */
export class MemoryLedger {
  private seqs: number[] = [];
  private ats: number[] = [];
  private keys: string[] = [];
  private kinds: number[] = [];
  private amounts: number[] = [];
  private taskIds: Array<string | null> = [];
  private balances: number[] = [];
  private helds: number[] = [];
  private lastSeq = 0;
  private trimAt: number;

  /** Entries added between trims. */
  private readonly slack: number;

  constructor(private readonly keep: number) {
    this.slack = Math.max(1, Math.floor(keep / 4));
    this.trimAt = keep + this.slack;
  }

  /** Appends an entry; `balance` and `held` are the key's figures after it. */
  record(
    key: string,
    kind: LedgerKind,
    amount: number,
    taskId: string | null,
    balance: number,
    held: number,
    at: number,
  ): void {
    if (this.seqs.length >= this.trimAt) {
      this.trim();
      this.trimAt = this.seqs.length + this.slack;
    }
    this.seqs.push(++this.lastSeq);
    this.ats.push(at);
    this.keys.push(key);
    this.kinds.push(KIND_CODE[kind]);
    this.amounts.push(amount);
    this.taskIds.push(taskId);
    this.balances.push(balance);
    this.helds.push(held);
  }

  get size(): number {
    return this.seqs.length;
  }

  /** The kept entries in order, of one key or all, as fresh objects. */
  entries(key?: string): LedgerEntry[] {
    const out: LedgerEntry[] = [];
    for (let i = 0; i < this.seqs.length; i++) {
      const k = this.keys[i] ?? '';
      if (key !== undefined && k !== key) continue;
      out.push({
        seq: this.seqs[i] ?? 0,
        at: this.ats[i] ?? 0,
        key: k,
        kind: KINDS[this.kinds[i] ?? 0] ?? 'grant',
        amount: this.amounts[i] ?? 0,
        task_id: this.taskIds[i] ?? null,
        balance: this.balances[i] ?? 0,
        held: this.helds[i] ?? 0,
      });
    }
    return out;
  }

  clear(): void {
    for (const column of [this.seqs, this.ats, this.keys, this.kinds, this.amounts, this.taskIds, this.balances])
      column.length = 0;
    this.helds.length = 0;
    this.lastSeq = 0;
    this.trimAt = this.keep + this.slack;
  }

  /** Keeps the newest `keep` entries and, before them in seq order, each other key's last older one. */
  private trim(): void {
    const cut = Math.max(0, this.seqs.length - this.keep);
    const keysKept = new Set(this.keys.slice(cut));
    const lastOlder = new Map<string, number>();
    for (let i = 0; i < cut; i++) {
      const k = this.keys[i] ?? '';
      if (!keysKept.has(k)) lastOlder.set(k, i);
    }
    const carried = [...lastOlder.values()].sort((a, b) => a - b);
    const pick = <T>(column: T[]): T[] => {
      const kept = carried.map((i) => column[i] as T);
      for (let i = cut; i < column.length; i++) kept.push(column[i] as T);
      return kept;
    };
    this.seqs = pick(this.seqs);
    this.ats = pick(this.ats);
    this.keys = pick(this.keys);
    this.kinds = pick(this.kinds);
    this.amounts = pick(this.amounts);
    this.taskIds = pick(this.taskIds);
    this.balances = pick(this.balances);
    this.helds = pick(this.helds);
  }
}
