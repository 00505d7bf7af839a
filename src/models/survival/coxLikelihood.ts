/**
 * The Cox partial log-likelihood, its score vector and information matrix at one β, with
 * Efron or Breslow handling of tied event times (as R's coxph, survival 3.x coxfit6.c).
 * One backward pass over rows sorted latest-first: the risk set at time t is everyone with
 * time >= t, so running sums of r, r·x and r·x·xᵀ give every risk-set sum in O(n·p²).
 */
import type { SortedSurvival } from './coxData.js';

/** How tied event times enter the partial likelihood. */
export type CoxTies = 'efron' | 'breslow';

/** Log-likelihood, score (gradient) and information (minus the Hessian, p x p row-major). */
export interface CoxEvaluation {
  loglik: number;
  score: Float64Array;
  information: Float64Array;
}

/** Linear predictor x·β for each sorted row (centred covariates). */
export function linearPredictor(d: SortedSurvival, beta: ArrayLike<number>): Float64Array {
  const { n, p, x } = d;
  const eta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += x[i * p + j]! * beta[j]!;
    eta[i] = s;
  }
  return eta;
}

/** Evaluates the partial likelihood, score and information at β. */
export function evaluateCox(d: SortedSurvival, beta: ArrayLike<number>, ties: CoxTies): CoxEvaluation {
  const { n, p, x, time, event, stratum } = d;
  const eta = linearPredictor(d, beta);
  const score = new Float64Array(p);
  const info = new Float64Array(p * p);
  // Risk-set sums (lower triangle of cmat only) and the same sums over the deaths at one time.
  const a = new Float64Array(p);
  const cmat = new Float64Array(p * p);
  const a2 = new Float64Array(p);
  const cmat2 = new Float64Array(p * p);
  const xbar = new Float64Array(p);
  let denom = 0;
  let loglik = 0;
  let i = 0;
  while (i < n) {
    if (i === 0 || stratum[i] !== stratum[i - 1]) {
      denom = 0;
      a.fill(0);
      cmat.fill(0);
    }
    // One group: all rows of this stratum with the same time.
    const t = time[i]!;
    const s = stratum[i]!;
    let ndead = 0;
    let deathsum = 0;
    a2.fill(0);
    cmat2.fill(0);
    let k = i;
    for (; k < n && time[k] === t && stratum[k] === s; k++) {
      const r = Math.exp(eta[k]!);
      const row = k * p;
      denom += r;
      for (let j = 0; j < p; j++) {
        const rx = r * x[row + j]!;
        a[j]! += rx;
        for (let l = 0; l <= j; l++) cmat[j * p + l]! += rx * x[row + l]!;
      }
      if (event[k] === 1) {
        ndead++;
        deathsum += r;
        loglik += eta[k]!;
        for (let j = 0; j < p; j++) {
          const xj = x[row + j]!;
          score[j]! += xj;
          const rx = r * xj;
          a2[j]! += rx;
          for (let l = 0; l <= j; l++) cmat2[j * p + l]! += rx * x[row + l]!;
        }
      }
    }
    if (ndead > 0) {
      if (ties === 'breslow' || ndead === 1) {
        loglik -= ndead * Math.log(denom);
        for (let j = 0; j < p; j++) {
          xbar[j] = a[j]! / denom;
          score[j]! -= ndead * xbar[j]!;
        }
        for (let j = 0; j < p; j++)
          for (let l = 0; l <= j; l++) info[j * p + l]! += ndead * (cmat[j * p + l]! / denom - xbar[j]! * xbar[l]!);
      } else {
        // Efron: the k-th of the tied deaths sees the risk set with k/ndead of the dying removed.
        for (let m = 0; m < ndead; m++) {
          const f = m / ndead;
          const dm = denom - f * deathsum;
          loglik -= Math.log(dm);
          for (let j = 0; j < p; j++) {
            xbar[j] = (a[j]! - f * a2[j]!) / dm;
            score[j]! -= xbar[j]!;
          }
          for (let j = 0; j < p; j++)
            for (let l = 0; l <= j; l++) info[j * p + l]! += (cmat[j * p + l]! - f * cmat2[j * p + l]!) / dm - xbar[j]! * xbar[l]!;
        }
      }
    }
    i = k;
  }
  for (let j = 0; j < p; j++) for (let l = 0; l < j; l++) info[l * p + j] = info[j * p + l]!;
  return { loglik, score, information: info };
}
