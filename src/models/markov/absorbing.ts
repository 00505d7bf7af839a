/**
 * What a transition matrix implies over time: n-step transitions, and for a chain with
 * absorbing states (closed, default) the fundamental matrix N = (I - Q)⁻¹, the expected
 * number of periods before absorption, the probability of ending in each absorbing state,
 * and the probability of having been absorbed within n periods. Also the stationary
 * distribution of an ergodic chain (e.g. activity states without a closed state).
 */
import { ValidationError } from '../../core/errors.js';
import { fromRows, identity, inverse, power, solve, toRows, type SquareMatrix } from '../linalg/dense.js';

/** Checks that P is square and stochastic (rows sum to 1, entries in [0, 1]). */
export function checkStochastic(p: readonly (readonly number[])[]): SquareMatrix {
  const issues = [];
  for (let i = 0; i < p.length; i++) {
    const row = p[i]!;
    if (row.length !== p.length) issues.push({ field: `P[${i}]`, rule: 'square', message: `has ${row.length} entries, expected ${p.length}` });
    else if (row.some((v) => !(v >= 0 && v <= 1)) || Math.abs(row.reduce((s, v) => s + v, 0) - 1) > 1e-9) {
      issues.push({ field: `P[${i}]`, rule: 'stochastic', message: 'entries must lie in [0, 1] and sum to 1' });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return fromRows(p);
}

/** The n-step transition matrix Pⁿ. */
export function nStepTransitions(p: readonly (readonly number[])[], n: number): number[][] {
  return toRows(power(checkStochastic(p), n));
}

/** The state distribution after n periods from an initial distribution. */
export function distributionAfter(p: readonly (readonly number[])[], initial: readonly number[], n: number): number[] {
  const pn = nStepTransitions(p, n);
  return pn[0]!.map((_, j) => initial.reduce((s, w, i) => s + w * pn[i]![j]!, 0));
}

/** Results of absorbing-chain analysis, indexed by transient and absorbing state names. */
export interface AbsorptionAnalysis {
  transient: string[];
  absorbing: string[];
  /** N[i][j]: expected periods spent in transient j starting from transient i. */
  fundamental: number[][];
  /** Expected periods until absorption from each transient state. */
  expectedPeriodsToAbsorption: number[];
  /** Variance of the number of periods until absorption. */
  variancePeriodsToAbsorption: number[];
  /** B[i][a]: probability of ending in absorbing state a from transient i. */
  absorptionProbabilities: number[][];
}

/** Absorbing states: those with P[i][i] = 1. */
export function absorbingStates(p: readonly (readonly number[])[]): number[] {
  return p.flatMap((row, i) => (row[i] === 1 ? [i] : []));
}

/** Fundamental-matrix analysis of an absorbing chain (Kemeny & Snell; Grinstead & Snell ch. 11). */
export function analyseAbsorption(p: readonly (readonly number[])[], states: readonly string[]): AbsorptionAnalysis {
  checkStochastic(p);
  if (states.length !== p.length) throw new ValidationError([{ field: 'states', rule: 'length', message: `has ${states.length} names for ${p.length} states` }]);
  const abs = absorbingStates(p);
  const trans = p.map((_, i) => i).filter((i) => !abs.includes(i));
  if (abs.length === 0) throw new ValidationError([{ field: 'P', rule: 'absorbing_state', message: 'the chain has no absorbing state (no P[i][i] = 1)' }]);
  const q = fromRows(trans.map((i) => trans.map((j) => p[i]![j]!)));
  const iMinusQ = identity(trans.length);
  for (let k = 0; k < q.data.length; k++) iMinusQ.data[k]! -= q.data[k]!;
  let n: SquareMatrix;
  try {
    n = inverse(iMinusQ);
  } catch {
    throw new ValidationError([
      { field: 'P', rule: 'absorbing_reachable', message: 'some transient state cannot reach any absorbing state, so I - Q is singular' },
    ]);
  }
  const nRows = toRows(n);
  const t = nRows.map((row) => row.reduce((s, v) => s + v, 0));
  // Var = (2N - I) t - t∘t
  const variance = nRows.map((row, i) => row.reduce((s, v, j) => s + (2 * v - (i === j ? 1 : 0)) * t[j]!, 0) - t[i]! * t[i]!);
  const b = nRows.map((row) => abs.map((a) => row.reduce((s, v, j) => s + v * p[trans[j]!]![a]!, 0)));
  return {
    transient: trans.map((i) => states[i]!),
    absorbing: abs.map((i) => states[i]!),
    fundamental: nRows,
    expectedPeriodsToAbsorption: t,
    variancePeriodsToAbsorption: variance,
    absorptionProbabilities: b,
  };
}

/** P(absorbed in `target` within n periods | start in each state) = Pⁿ[i][target]. */
export function probabilityWithin(p: readonly (readonly number[])[], target: number, n: number): number[] {
  if (p[target]?.[target] !== 1) throw new ValidationError([{ field: 'target', rule: 'absorbing_state', message: `state ${target} is not absorbing` }]);
  return nStepTransitions(p, n).map((row) => row[target]!);
}

/** Whether every state can reach every other (irreducible). */
export function isIrreducible(p: readonly (readonly number[])[]): boolean {
  const k = p.length;
  for (let s = 0; s < k; s++) {
    const seen = new Array<boolean>(k).fill(false);
    const stack = [s];
    seen[s] = true;
    while (stack.length > 0) {
      const i = stack.pop()!;
      for (let j = 0; j < k; j++) {
        if (!seen[j] && p[i]![j]! > 0) {
          seen[j] = true;
          stack.push(j);
        }
      }
    }
    if (seen.includes(false)) return false;
  }
  return true;
}

/** Stationary distribution π = πP, Σπ = 1, of an irreducible chain. */
export function stationaryDistribution(p: readonly (readonly number[])[]): number[] {
  const m = checkStochastic(p);
  if (!isIrreducible(p)) {
    throw new ValidationError([{ field: 'P', rule: 'irreducible', message: 'the chain is not irreducible (e.g. it has an absorbing state), so no unique stationary distribution' }]);
  }
  const k = m.n;
  // (Pᵀ - I) π = 0 with the last equation replaced by Σπ = 1.
  const a = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) a[i * k + j] = p[j]![i]! - (i === j ? 1 : 0);
  for (let j = 0; j < k; j++) a[(k - 1) * k + j] = 1;
  const rhs = new Float64Array(k);
  rhs[k - 1] = 1;
  return Array.from(solve({ n: k, data: a }, rhs));
}
