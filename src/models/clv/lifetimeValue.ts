/**
 * Customer lifetime value from a fitted BG/NBD (how many purchases) and Gamma-Gamma (how much
 * each): the same discrete sum as lifetimes' `customer_lifetime_value`. The horizon is cut into
 * whole periods (e.g. months of 4.345 weeks); the purchases expected in period m are
 * E[Y(m L) | history] - E[Y((m-1) L) | history], each valued at the expected spend and
 * discounted by (1 + d)^m, i.e. as if paid at the end of its period. A continuous-time
 * discount would give slightly more; the end-of-period convention is what bank finance uses
 * for monthly cash flows and what lets an analyst reproduce the figure from lifetimes.
 */
import { ValidationError } from '../../core/errors.js';
import { conditionalExpectedPurchases, probabilityAlive, type BgNbdParams } from './bgnbd.js';
import { conditionalExpectedSpend, type GammaGammaParams } from './gammaGamma.js';
import type { RfmSummary } from './rfm.js';

/** The horizon and discounting of a CLV calculation. */
export interface LifetimeValueOptions {
  /** Number of whole periods ahead. */
  periods: number;
  /** Length of a period in the summary's time unit (4.345 for months over weekly data). */
  periodLength: number;
  /** Discount rate per period (0.01 = 1% a period). */
  discountRate: number;
}

/** One customer's prediction: alive probability, purchases and spend expected, value. */
export interface CustomerValue {
  probabilityAlive: number;
  expectedPurchases: number;
  expectedSpend: number;
  lifetimeValue: number;
}

/** Checks the horizon and discounting options, naming the bad one. */
export function validateLifetimeValueOptions(o: LifetimeValueOptions): void {
  if (!(Number.isInteger(o.periods) && o.periods >= 1)) throw new ValidationError([{ field: 'periods', rule: 'positive_integer', message: `is ${o.periods}` }]);
  if (!(o.periodLength > 0)) throw new ValidationError([{ field: 'periodLength', rule: 'positive', message: `is ${o.periodLength}` }]);
  if (!(o.discountRate > -1)) throw new ValidationError([{ field: 'discountRate', rule: 'greater_than_-1', message: `is ${o.discountRate}` }]);
}

/** P(alive), expected purchases over the horizon, expected spend and discounted CLV for each customer. */
export function predictCustomerValue(bg: BgNbdParams, gg: GammaGammaParams | undefined, s: RfmSummary, o: LifetimeValueOptions): CustomerValue[] {
  validateLifetimeValueOptions(o);
  const out: CustomerValue[] = [];
  for (let i = 0; i < s.frequency.length; i++) {
    const x = s.frequency[i]!;
    const tx = s.recency[i]!;
    const T = s.T[i]!;
    const spend = gg && s.monetary ? conditionalExpectedSpend(gg, x, s.monetary[i]!) : NaN;
    let before = 0;
    let value = 0;
    for (let m = 1; m <= o.periods; m++) {
      const upTo = conditionalExpectedPurchases(bg, m * o.periodLength, x, tx, T);
      value += (spend * (upTo - before)) / Math.pow(1 + o.discountRate, m);
      before = upTo;
    }
    out.push({ probabilityAlive: probabilityAlive(bg, x, tx, T), expectedPurchases: before, expectedSpend: spend, lifetimeValue: value });
  }
  return out;
}
