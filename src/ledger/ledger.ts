import type { LedgerEntry } from '../store/store.js';

/**
 * A key's balance and held credits recomputed from its ledger entries alone: grants and top-ups
 * add to the balance, captures take from it; holds add to held, captures and releases take from it.
 * The simulator's invariant is that this always equals what the key record says.
 */
export function ledgerTotals(entries: readonly LedgerEntry[]): { balance: number; held: number } {
  let balance = 0;
  let held = 0;
  for (const e of entries) {
    if (e.kind === 'grant' || e.kind === 'topup') balance += e.amount;
    else if (e.kind === 'hold') held += e.amount;
    else {
      held -= e.amount;
      if (e.kind === 'capture') balance -= e.amount;
    }
  }
  return { balance, held };
}
