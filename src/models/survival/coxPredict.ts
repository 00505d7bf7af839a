/**
 * Per-customer predictions from a fitted Cox model: relative risk, the survival curve, and
 * the probability of the event (churn, prepayment) within given horizons.
 */
import { ValidationError } from '../../core/errors.js';
import { cumulativeHazardAt, type BaselineHazard } from './baselineHazard.js';
import type { CoxModel } from './cox.js';

/** The default horizons, in the time unit of the data (days): a month, a quarter, a year. */
export const DEFAULT_HORIZONS = [30, 90, 365] as const;

/** Survival and event probability at one horizon. */
export interface HorizonRisk {
  horizon: number;
  survival: number;
  /** 1 - survival: the probability of the event by the horizon. */
  risk: number;
}

function baselineFor(model: Pick<CoxModel, 'baseline'>, stratum: number): BaselineHazard {
  const b = model.baseline.find((s) => s.stratum === stratum);
  if (!b) throw new ValidationError([{ field: 'stratum', rule: 'known_stratum', message: `stratum ${stratum} is not in the model` }]);
  return b;
}

/** exp((x - means)·β): the customer's hazard relative to the reference customer. */
export function relativeRisk(model: Pick<CoxModel, 'beta' | 'means'>, x: readonly number[]): number {
  if (x.length !== model.beta.length) {
    throw new ValidationError([{ field: 'x', rule: 'length', message: `has ${x.length} covariates, the model has ${model.beta.length}` }]);
  }
  let lp = 0;
  for (let j = 0; j < x.length; j++) lp += (x[j]! - model.means[j]!) * model.beta[j]!;
  return Math.exp(lp);
}

/** The customer's survival curve at every time of the baseline. */
export function survivalCurve(model: Pick<CoxModel, 'beta' | 'means' | 'baseline'>, x: readonly number[], stratum = 0): { time: number[]; survival: number[] } {
  const b = baselineFor(model, stratum);
  const rr = relativeRisk(model, x);
  return { time: [...b.time], survival: b.cumHazard.map((h) => Math.exp(-h * rr)) };
}

/** Survival probability and event risk at each horizon. */
export function riskAtHorizons(
  model: Pick<CoxModel, 'beta' | 'means' | 'baseline'>,
  x: readonly number[],
  horizons: readonly number[] = DEFAULT_HORIZONS,
  stratum = 0,
): HorizonRisk[] {
  const b = baselineFor(model, stratum);
  const rr = relativeRisk(model, x);
  return horizons.map((horizon) => {
    const survival = Math.exp(-cumulativeHazardAt(b, horizon) * rr);
    return { horizon, survival, risk: 1 - survival };
  });
}
