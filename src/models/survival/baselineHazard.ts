/**
 * Baseline cumulative hazard of a fitted Cox model and per-customer survival curves, as R's
 * `survfit(coxph_fit, newdata)`: the hazard increment at a time with d events is
 * d / Σ risk (Breslow) or, for Efron ties, Σ_k 1 / (Σ risk - k/d Σ risk of the dying);
 * survival = exp(-cumulative hazard × exp((x - means)·β)).
 */
import type { SortedSurvival } from './coxData.js';
import { linearPredictor, type CoxTies } from './coxLikelihood.js';

/** Cumulative hazard at the reference covariates (the model's `means`), for one stratum. */
export interface BaselineHazard {
  /** Stratum code (0 when unstratified). */
  stratum: number;
  /** Distinct observed times, ascending. */
  time: number[];
  cumHazard: number[];
}

/** Baseline cumulative hazard per stratum from sorted data and fitted β. */
export function baselineHazard(d: SortedSurvival, beta: ArrayLike<number>, means: ArrayLike<number>, ties: CoxTies): BaselineHazard[] {
  const { n, p, time, event, stratum } = d;
  const eta = linearPredictor(d, beta);
  // Sorted data are centred on column means; shift to R's reference means.
  let shift = 0;
  for (let j = 0; j < p; j++) shift += (d.centre[j]! - means[j]!) * beta[j]!;
  const out: BaselineHazard[] = [];
  let times: number[] = [];
  let increments: number[] = [];
  let denom = 0;
  const flush = (s: number) => {
    times.reverse();
    increments.reverse();
    let h = 0;
    out.push({ stratum: s, time: times, cumHazard: increments.map((inc) => (h += inc)) });
    times = [];
    increments = [];
  };
  let i = 0;
  while (i < n) {
    const s = stratum[i]!;
    const t = time[i]!;
    let deaths = 0;
    let deathRisk = 0;
    let k = i;
    for (; k < n && time[k] === t && stratum[k] === s; k++) {
      const r = Math.exp(eta[k]! + shift);
      denom += r;
      if (event[k] === 1) {
        deaths++;
        deathRisk += r;
      }
    }
    let inc = 0;
    if (deaths > 0) {
      if (ties === 'breslow') inc = deaths / denom;
      else for (let m = 0; m < deaths; m++) inc += 1 / (denom - (m / deaths) * deathRisk);
    }
    times.push(t);
    increments.push(inc);
    i = k;
    if (i === n || stratum[i] !== s) {
      flush(s);
      denom = 0;
    }
  }
  return out;
}

/** Cumulative hazard of a step function at time t (0 before the first time). */
export function cumulativeHazardAt(b: BaselineHazard, t: number): number {
  let lo = 0;
  let hi = b.time.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b.time[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0 : b.cumHazard[lo - 1]!;
}
