/**
 * Cox proportional hazards by Newton-Raphson on the partial likelihood, following R's
 * `coxph` (survival 3.x) step for step: start at β = 0, halve the step when the
 * log-likelihood falls, stop when |1 - ℓ_old/ℓ_new| <= eps (1e-9) after a full step, at
 * most 20 iterations. So coefficients, standard errors and tests match R's to rounding.
 */
import { NextbestError, ValidationError } from '../../core/errors.js';
import { choleskyInverse, choleskySolve, cholesky, type SquareMatrix } from '../linalg/dense.js';
import { chiSquareSurvival } from '../stats/incompleteGamma.js';
import { twoSidedNormalP } from '../stats/normal.js';
import { sortSurvival, type SortedSurvival, type SurvivalData } from './coxData.js';
import { evaluateCox, linearPredictor, type CoxTies } from './coxLikelihood.js';
import { harrellConcordance, type Concordance } from './concordance.js';
import { baselineHazard, type BaselineHazard } from './baselineHazard.js';

export interface CoxOptions {
  ties?: CoxTies;
  /** Convergence tolerance on the relative change of the log-likelihood (R: 1e-9). */
  eps?: number;
  /** Maximum Newton-Raphson iterations (R: 20). */
  maxIterations?: number;
  /** Covariate names, for the output (default x1, x2, ...). */
  names?: readonly string[];
  /** Skip the concordance (an O(n log n) pass) when it is not wanted. */
  concordance?: boolean;
}

/** A test of all coefficients = 0 against the fitted model. */
export interface ChiSquareTest {
  statistic: number;
  df: number;
  p: number;
}

/** One covariate's row of the coefficient table. */
export interface CoxCoefficient {
  name: string;
  coef: number;
  expCoef: number;
  se: number;
  z: number;
  p: number;
}

/** A fitted Cox model. */
export interface CoxModel {
  ties: CoxTies;
  names: string[];
  coefficients: CoxCoefficient[];
  /** β in covariate order. */
  beta: number[];
  /** Variance-covariance matrix of β (inverse information), row-major p x p. */
  variance: number[][];
  loglik: { null: number; final: number };
  tests: { likelihoodRatio: ChiSquareTest; wald: ChiSquareTest; score: ChiSquareTest };
  concordance: Concordance | null;
  n: number;
  events: number;
  iterations: number;
  converged: boolean;
  /**
   * Reference point of the linear predictor, as R's `fit$means`: the column means, except
   * 0 for a column holding only 0 and 1 (survival 3.x), so lp = (x - means)·β.
   */
  means: number[];
  /** Baseline cumulative hazard at `means`, one per stratum (Efron-style increments for Efron ties). */
  baseline: BaselineHazard[];
}

function vectorTimesMatrix(v: ArrayLike<number>, m: SquareMatrix): number {
  let s = 0;
  for (let i = 0; i < m.n; i++) for (let j = 0; j < m.n; j++) s += v[i]! * m.data[i * m.n + j]! * v[j]!;
  return s;
}

/** R's reference means: column mean, or 0 for a 0/1 column. */
export function referenceMeans(d: SurvivalData): number[] {
  const n = d.time.length;
  const out: number[] = [];
  for (let j = 0; j < d.p; j++) {
    let sum = 0;
    let binary = true;
    for (let i = 0; i < n; i++) {
      const v = d.x[i * d.p + j]!;
      sum += v;
      if (v !== 0 && v !== 1) binary = false;
    }
    out.push(binary ? 0 : sum / n);
  }
  return out;
}

interface NewtonResult {
  beta: Float64Array;
  loglikNull: number;
  loglikFinal: number;
  scoreTest: number;
  information: SquareMatrix;
  iterations: number;
  converged: boolean;
}

/** The Newton-Raphson loop of R's coxfit6.c, on sorted and centred data. */
function newtonRaphson(d: SortedSurvival, ties: CoxTies, eps: number, maxIter: number): NewtonResult {
  const p = d.p;
  let beta = new Float64Array(p);
  const first = evaluateCox(d, beta, ties);
  const loglikNull = first.loglik;
  let info: SquareMatrix = { n: p, data: first.information };
  const step = p > 0 ? choleskySolve(cholesky(info), first.score) : new Float64Array(0);
  let scoreTest = 0;
  for (let j = 0; j < p; j++) scoreTest += first.score[j]! * step[j]!;
  let newBeta = beta.map((b, j) => b + step[j]!);
  let previous = loglikNull;
  let halving = false;
  let newLoglik = loglikNull;
  for (let iter = 1; iter <= maxIter; iter++) {
    const ev = evaluateCox(d, newBeta, ties);
    newLoglik = ev.loglik;
    info = { n: p, data: ev.information };
    const finite = Number.isFinite(newLoglik) && ev.score.every(Number.isFinite) && ev.information.every(Number.isFinite);
    if (finite && Math.abs(1 - previous / newLoglik) <= eps && !halving) {
      return { beta: newBeta, loglikNull, loglikFinal: newLoglik, scoreTest, information: info, iterations: iter, converged: true };
    }
    if (iter === maxIter) break;
    if (!finite || newLoglik < previous) {
      halving = true;
      newBeta = newBeta.map((b, j) => (b + beta[j]!) / 2);
    } else {
      halving = false;
      previous = newLoglik;
      const s = choleskySolve(cholesky(info), ev.score);
      beta = newBeta;
      newBeta = newBeta.map((b, j) => b + s[j]!);
    }
  }
  return { beta: newBeta, loglikNull, loglikFinal: newLoglik, scoreTest, information: info, iterations: maxIter, converged: false };
}

/** Fits a Cox proportional hazards model (stratified when `data.strata` is given). */
export function fitCox(data: SurvivalData, options: CoxOptions = {}): CoxModel {
  const ties = options.ties ?? 'efron';
  const sorted = sortSurvival(data);
  const p = data.p;
  const names = options.names ? [...options.names] : Array.from({ length: p }, (_, j) => `x${j + 1}`);
  if (names.length !== p) throw new RangeError(`names has ${names.length} entries, expected ${p}`);
  let fit: NewtonResult;
  try {
    fit = newtonRaphson(sorted, ties, options.eps ?? 1e-9, options.maxIterations ?? 20);
  } catch (e) {
    if (!(e instanceof NextbestError)) throw e;
    throw new ValidationError([
      { field: 'covariates', rule: 'identifiable', message: `the information matrix is singular: a covariate is constant, collinear with others, or has no events in some level (${names.join(', ')})` },
    ]);
  }
  const variance = p > 0 ? choleskyInverse(fit.information) : { n: 0, data: new Float64Array(0) };
  const beta = Array.from(fit.beta);
  const coefficients = names.map((name, j) => {
    const se = Math.sqrt(variance.data[j * p + j]!);
    const z = beta[j]! / se;
    return { name, coef: beta[j]!, expCoef: Math.exp(beta[j]!), se, z, p: twoSidedNormalP(z) };
  });
  const lrt = 2 * (fit.loglikFinal - fit.loglikNull);
  const wald = p > 0 ? vectorTimesMatrix(fit.beta, fit.information) : 0;
  const df = p;
  const test = (statistic: number): ChiSquareTest => ({ statistic, df, p: df > 0 ? chiSquareSurvival(statistic, df) : 1 });
  let events = 0;
  for (let i = 0; i < sorted.n; i++) events += sorted.event[i]!;
  let concordance: Concordance | null = null;
  if (options.concordance !== false) {
    concordance = harrellConcordance(sorted.time, sorted.event, linearPredictor(sorted, fit.beta), sorted.stratum);
  }
  const means = referenceMeans(data);
  return {
    ties,
    names,
    coefficients,
    beta,
    variance: Array.from({ length: p }, (_, i) => Array.from(variance.data.subarray(i * p, (i + 1) * p))),
    loglik: { null: fit.loglikNull, final: fit.loglikFinal },
    tests: { likelihoodRatio: test(lrt), wald: test(wald), score: test(fit.scoreTest) },
    concordance,
    n: sorted.n,
    events,
    iterations: fit.iterations,
    converged: fit.converged,
    means,
    baseline: baselineHazard(sorted, fit.beta, means, ties),
  };
}
