import type { LedgerEntry } from '../store/store.js';

/** What one entry does to its key's balance and held credits. */
function effect(e: LedgerEntry): { balance: number; held: number } {
  if (e.kind === 'grant' || e.kind === 'topup') return { balance: e.amount, held: 0 };
  if (e.kind === 'hold') return { balance: 0, held: e.amount };
  return { balance: e.kind === 'capture' ? -e.amount : 0, held: -e.amount };
}

/**
 * A key's balance and held credits recomputed from its ledger entries alone: grants and top-ups
 * add to the balance, captures take from it; holds add to held, captures and releases take from it.
 * A kept ledger may have dropped a key's oldest entries (the memory store's `MemoryLedger`), so each key starts from what
 * its first entry says was there before it (its balance and held less its own effect): with the
 * whole ledger that is 0 and 0. The simulator's invariant is that this always equals what the key
 * record says.
 */
export function ledgerTotals(entries: readonly LedgerEntry[]): { balance: number; held: number } {
  const seen = new Set<string>();
  let balance = 0;
  let held = 0;
  for (const e of entries) {
    const d = effect(e);
    if (!seen.has(e.key)) {
      seen.add(e.key);
      balance += e.balance - d.balance;
      held += e.held - d.held;
    }
    balance += d.balance;
    held += d.held;
  }
  return { balance, held };
}
