/**
 * Adjusted p-values for many comparisons at once (several arms, several KPIs, many segments):
 * Holm's step-down (controls the family-wise error rate; uniformly better than Bonferroni) and
 * Benjamini–Hochberg (controls the false discovery rate under independence or positive
 * dependence). Same results as statsmodels `multipletests(method='holm' | 'fdr_bh')`.
 */
import { invalid } from './checks.js';

function checkP(pValues: readonly number[]): void {
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) invalid(`pValues[${i}]`, 'probability', `must be in [0, 1], got ${p}`);
  });
}

function ascendingOrder(pValues: readonly number[]): number[] {
  return pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]! || a - b);
}

/** Holm–Bonferroni adjusted p-values, in the input order. */
export function holmAdjust(pValues: readonly number[]): number[] {
  checkP(pValues);
  const m = pValues.length;
  const order = ascendingOrder(pValues);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[idx]!));
    out[idx] = running;
  });
  return out;
}

/** Benjamini–Hochberg adjusted p-values (q-values), in the input order. */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[] {
  checkP(pValues);
  const m = pValues.length;
  const order = ascendingOrder(pValues);
  const out = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const idx = order[rank]!;
    running = Math.min(running, (m * pValues[idx]!) / (rank + 1));
    out[idx] = running;
  }
  return out;
}
