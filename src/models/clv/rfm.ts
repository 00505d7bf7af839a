/**
 * The per-customer summary that the CLV models read: frequency (repeat purchases), recency
 * (time of the last purchase since the first), T (time from the first purchase to the end of
 * the observation period) and, for spend, the mean value of the repeat purchases.
 * Columns are typed arrays so a million customers cost a few megabytes.
 */
import { ValidationError, type FieldIssue } from '../../core/errors.js';

/** Frequency / recency / T (and optionally monetary value) for each customer, column-wise. */
export interface RfmSummary {
  frequency: Float64Array;
  recency: Float64Array;
  T: Float64Array;
  /** Mean value of the repeat purchases; needed only by the spend model. */
  monetary?: Float64Array;
  /**
   * How many customers each row stands for (a summary table of identical histories with
   * counts); absent = 1 each. Weighted fits equal fits on the rows repeated.
   */
  weight?: Float64Array;
}

/** Throws a ValidationError naming the first customers that break the BG/NBD's rules. */
export function validateRfm(s: RfmSummary): void {
  const n = s.frequency.length;
  const issues: FieldIssue[] = [];
  if (s.recency.length !== n || s.T.length !== n || (s.monetary && s.monetary.length !== n)) {
    issues.push({ field: 'summary', rule: 'same_length', message: 'frequency, recency, T (and monetary) must have one value per customer' });
  }
  if (n === 0) issues.push({ field: 'summary', rule: 'non_empty', message: 'needs at least one customer' });
  if (s.weight) {
    if (s.weight.length !== n) issues.push({ field: 'weight', rule: 'same_length', message: 'needs one weight per row' });
    for (let i = 0; i < s.weight.length && issues.length < 5; i++) {
      const w = s.weight[i]!;
      if (!(w >= 0 && Number.isFinite(w))) issues.push({ field: `weight[${i}]`, rule: 'non_negative', message: `is ${w}` });
    }
    if (issues.length === 0 && customerCount(s) <= 0) issues.push({ field: 'weight', rule: 'positive_total', message: 'the weights sum to 0' });
  }
  for (let i = 0; i < n && issues.length < 5; i++) {
    const x = s.frequency[i]!;
    const tx = s.recency[i]!;
    const T = s.T[i]!;
    if (!(x >= 0 && Number.isInteger(x))) issues.push({ field: `frequency[${i}]`, rule: 'non_negative_integer', message: `is ${x}` });
    else if (!(T > 0)) issues.push({ field: `T[${i}]`, rule: 'positive', message: `is ${T}` });
    else if (!(tx >= 0 && tx <= T)) issues.push({ field: `recency[${i}]`, rule: 'between_0_and_T', message: `is ${tx} with T = ${T}` });
    else if (x === 0 && tx !== 0) issues.push({ field: `recency[${i}]`, rule: 'zero_without_repeat', message: `is ${tx} but frequency is 0` });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Largest frequency in the summary (the BG/NBD precomputes per-frequency terms up to it). */
export function maxFrequency(s: RfmSummary): number {
  let m = 0;
  for (let i = 0; i < s.frequency.length; i++) if (s.frequency[i]! > m) m = s.frequency[i]!;
  return m;
}

/** Customers the summary stands for: the sum of the row weights (rows when unweighted). */
export function customerCount(s: RfmSummary): number {
  if (!s.weight) return s.frequency.length;
  let total = 0;
  for (let i = 0; i < s.weight.length; i++) total += s.weight[i]!;
  return total;
}
