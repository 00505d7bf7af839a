/**
 * Builds the per-customer RFM summary from a transaction list, the way lifetimes'
 * `summary_data_from_transaction_data` does: transactions after the end of the observation
 * period are ignored, a customer's transactions on one calendar day count as one purchase
 * (their values summed), frequency = purchase days - 1, recency = last purchase day - first,
 * T = end of period - first purchase day, both in `periodDays`-day units, and monetary = the
 * mean value of the repeat purchase days (the first day excluded; 0 without repeats).
 */
import { ValidationError } from '../../core/errors.js';
import type { RfmSummary } from './rfm.js';

/** Transactions column-wise: who, on which day (whole days since any fixed origin), for how much. */
export interface TransactionColumns {
  customerId: readonly string[];
  day: ArrayLike<number>;
  value: ArrayLike<number>;
}

/** An RFM summary with the customer ids in order of first appearance in the transactions. */
export interface CustomerSummary extends RfmSummary {
  customerId: string[];
  monetary: Float64Array;
}

/** Days since 1970-01-01 of a `YYYYMMDD` or `YYYY-MM-DD` date, or NaN when it is not a real date. */
export function dayNumber(date: string): number {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(date.trim());
  if (!m) return NaN;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  // Date.UTC rolls 1997-02-30 over to March; a date that does not survive the round trip is invalid.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return NaN;
  return ms / 86_400_000;
}

/** Summarises transactions up to and including `observationEndDay` into frequency/recency/T/monetary. */
export function summarizeTransactions(tx: TransactionColumns, observationEndDay: number, periodDays = 1): CustomerSummary {
  const n = tx.customerId.length;
  if (tx.day.length !== n || tx.value.length !== n) {
    throw new ValidationError([{ field: 'transactions', rule: 'same_length', message: 'customerId, day and value must have one entry per transaction' }]);
  }
  if (!(periodDays > 0)) throw new ValidationError([{ field: 'periodDays', rule: 'positive', message: `is ${periodDays}` }]);
  // customer -> (day -> total value), keeping first-appearance order of customers.
  const byCustomer = new Map<string, Map<number, number>>();
  for (let i = 0; i < n; i++) {
    const day = tx.day[i]!;
    const value = tx.value[i]!;
    if (!Number.isInteger(day)) throw new ValidationError([{ field: `day[${i}]`, rule: 'whole_day', message: `is ${day}` }]);
    if (!Number.isFinite(value)) throw new ValidationError([{ field: `value[${i}]`, rule: 'finite', message: `is ${value}` }]);
    if (day > observationEndDay) continue;
    const id = tx.customerId[i]!;
    let days = byCustomer.get(id);
    if (!days) byCustomer.set(id, (days = new Map()));
    days.set(day, (days.get(day) ?? 0) + value);
  }
  const m = byCustomer.size;
  const out: CustomerSummary = {
    customerId: [],
    frequency: new Float64Array(m),
    recency: new Float64Array(m),
    T: new Float64Array(m),
    monetary: new Float64Array(m),
  };
  let i = 0;
  for (const [id, days] of byCustomer) {
    const sorted = [...days.keys()].sort((a, b) => a - b);
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    let repeatValue = 0;
    for (let k = 1; k < sorted.length; k++) repeatValue += days.get(sorted[k]!)!;
    out.customerId.push(id);
    out.frequency[i] = sorted.length - 1;
    out.recency[i] = (last - first) / periodDays;
    out.T[i] = (observationEndDay - first) / periodDays;
    out.monetary[i] = sorted.length > 1 ? repeatValue / (sorted.length - 1) : 0;
    i++;
  }
  return out;
}
