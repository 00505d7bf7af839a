/**
 * Nelder-Mead simplex minimisation (Lagarias et al. 1998 coefficients: reflection 1,
 * expansion 2, contraction 0.5, shrink 0.5). Derivative free, so it is the fallback when a
 * likelihood has no gradient; callers optimise in log-parameter space to keep positivity.
 */
import { ValidationError } from '../../core/errors.js';

/** Options of a minimisation; defaults suit likelihoods of a few parameters. */
export interface MinimizeOptions {
  /** Stop after this many objective evaluations. */
  maxEvaluations?: number;
  /** Stop when the simplex values differ by less than this (absolute). */
  fTolerance?: number;
  /** Stop when the simplex vertices differ by less than this (absolute, per coordinate). */
  xTolerance?: number;
  /** Initial step along each coordinate. */
  initialStep?: number;
}

/** Where a minimisation stopped and how it got there. */
export interface MinimizeResult {
  x: number[];
  value: number;
  evaluations: number;
  iterations: number;
  converged: boolean;
}

/** Minimises `f` from `start` with the Nelder-Mead simplex. */
export function nelderMead(f: (x: readonly number[]) => number, start: readonly number[], options: MinimizeOptions = {}): MinimizeResult {
  const n = start.length;
  if (n === 0) throw new ValidationError([{ field: 'start', rule: 'non_empty', message: 'needs at least one parameter' }]);
  const maxEvaluations = options.maxEvaluations ?? 2000 * n;
  const fTol = options.fTolerance ?? 1e-10;
  const xTol = options.xTolerance ?? 1e-10;
  const step = options.initialStep ?? 0.1;
  let evaluations = 0;
  const evalAt = (x: number[]): number => {
    evaluations++;
    const v = f(x);
    // A NaN (parameters outside the model's domain) counts as +infinity so the simplex retreats.
    return Number.isNaN(v) ? Infinity : v;
  };

  const simplex: number[][] = [Array.from(start)];
  for (let i = 0; i < n; i++) {
    const v = Array.from(start);
    v[i] = v[i]! + step;
    simplex.push(v);
  }
  const values = simplex.map(evalAt);
  let iterations = 0;
  let converged = false;

  const combine = (a: number[], b: number[], t: number): number[] => a.map((ai, j) => ai + t * (b[j]! - ai));

  while (evaluations < maxEvaluations) {
    const order = values.map((_, i) => i).sort((i, j) => values[i]! - values[j]!);
    const s = order.map((i) => simplex[i]!);
    const fv = order.map((i) => values[i]!);
    for (let i = 0; i <= n; i++) {
      simplex[i] = s[i]!;
      values[i] = fv[i]!;
    }
    let spread = 0;
    for (let i = 1; i <= n; i++) for (let j = 0; j < n; j++) spread = Math.max(spread, Math.abs(simplex[i]![j]! - simplex[0]![j]!));
    if (Math.abs(values[n]! - values[0]!) <= fTol && spread <= xTol) {
      converged = true;
      break;
    }
    iterations++;
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] = centroid[j]! + simplex[i]![j]! / n;
    const worst = simplex[n]!;
    const reflected = combine(centroid, worst, -1);
    const fr = evalAt(reflected);
    if (fr < values[0]!) {
      const expanded = combine(centroid, worst, -2);
      const fe = evalAt(expanded);
      if (fe < fr) {
        simplex[n] = expanded;
        values[n] = fe;
      } else {
        simplex[n] = reflected;
        values[n] = fr;
      }
      continue;
    }
    if (fr < values[n - 1]!) {
      simplex[n] = reflected;
      values[n] = fr;
      continue;
    }
    const outside = fr < values[n]!;
    const contracted = outside ? combine(centroid, worst, -0.5) : combine(centroid, worst, 0.5);
    const fc = evalAt(contracted);
    if (fc < (outside ? fr : values[n]!)) {
      simplex[n] = contracted;
      values[n] = fc;
      continue;
    }
    for (let i = 1; i <= n; i++) {
      simplex[i] = combine(simplex[0]!, simplex[i]!, 0.5);
      values[i] = evalAt(simplex[i]!);
    }
  }
  let best = 0;
  for (let i = 1; i <= n; i++) if (values[i]! < values[best]!) best = i;
  return { x: simplex[best]!, value: values[best]!, evaluations, iterations, converged };
}
