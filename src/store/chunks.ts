import type { StateStore } from './state-store.js';

/**
 * Splits independent writes into groups one commit of `store` may hold (`reserve` slots kept free
 * for a guard). Only for writes that need not land together: each group commits on its own.
 */
export function inCommitSizedChunks<T>(store: Pick<StateStore, 'maxOpsPerCommit'>, items: readonly T[], reserve = 0): T[][] {
  const size = Math.max(1, (store.maxOpsPerCommit ?? Infinity) - reserve);
  if (items.length <= size) return [items.slice()];
  const out: T[][] = [];
  for (let k = 0; k < items.length; k += size) out.push(items.slice(k, k + size));
  return out;
}
