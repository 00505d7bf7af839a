/**
 * BFGS quasi-Newton minimisation with an inverse-Hessian update and a backtracking
 * (Armijo) line search. Used for the CLV likelihoods, whose analytic gradients make it
 * converge in tens of evaluations where Nelder-Mead needs hundreds: that matters when the
 * likelihood sums over a million customers.
 */
import type { MinimizeResult } from './nelderMead.js';

/** An objective that returns its value and gradient at `x`. */
export type ValueAndGradient = (x: readonly number[]) => { value: number; gradient: number[] };

/** Options of a BFGS run. */
export interface BfgsOptions {
  maxIterations?: number;
  /** Converged when the largest |gradient| component is below this. */
  gradientTolerance?: number;
  /** Converged when an iteration lowers the value by less than this (relative). */
  fTolerance?: number;
  /** Starting inverse-Hessian approximation (e.g. from a fit on a subsample); identity by default. */
  initialInverseHessian?: readonly (readonly number[])[];
}

/** A BFGS result with its final inverse-Hessian approximation, to warm-start a related fit. */
export interface BfgsResult extends MinimizeResult {
  inverseHessian: number[][];
}

const dot = (a: readonly number[], b: readonly number[]): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Minimises `fg` from `start` by BFGS. */
export function bfgs(fg: ValueAndGradient, start: readonly number[], options: BfgsOptions = {}): BfgsResult {
  const n = start.length;
  const maxIterations = options.maxIterations ?? 500;
  const gTol = options.gradientTolerance ?? 1e-8;
  const fTol = options.fTolerance ?? 1e-15;
  let evaluations = 1;
  let x = Array.from(start);
  let { value, gradient } = fg(x);
  // H approximates the inverse Hessian; start from the identity.
  let h: number[][] = options.initialInverseHessian?.map((row) => [...row]) ?? Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    if (Math.max(...gradient.map(Math.abs)) < gTol) {
      converged = true;
      break;
    }
    iterations++;
    let direction = h.map((row) => -dot(row, gradient));
    let slope = dot(direction, gradient);
    if (!(slope < 0)) {
      // Not a descent direction (H lost positive definiteness): restart from steepest descent.
      h = h.map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
      direction = gradient.map((g) => -g);
      slope = dot(direction, gradient);
    }
    let step = 1;
    let next: { value: number; gradient: number[] } | undefined;
    let xNext = x;
    for (let tries = 0; tries < 60; tries++) {
      xNext = x.map((xi, i) => xi + step * direction[i]!);
      const trial = fg(xNext);
      evaluations++;
      if (Number.isFinite(trial.value) && trial.value <= value + 1e-4 * step * slope) {
        next = trial;
        break;
      }
      step *= 0.5;
    }
    if (!next) break; // no decrease possible along the direction: at the precision limit
    const s = xNext.map((xi, i) => xi - x[i]!);
    const y = next.gradient.map((gi, i) => gi - gradient[i]!);
    const sy = dot(s, y);
    const improvement = value - next.value;
    x = xNext;
    gradient = next.gradient;
    const previous = value;
    value = next.value;
    if (sy > 1e-12) {
      const hy = h.map((row) => dot(row, y));
      const yhy = dot(y, hy);
      const rho = 1 / sy;
      h = h.map((row, i) => row.map((hij, j) => hij - rho * (hy[i]! * s[j]! + s[i]! * hy[j]!) + (rho * rho * yhy + rho) * s[i]! * s[j]!));
    }
    if (improvement >= 0 && improvement <= fTol * Math.max(1, Math.abs(previous))) {
      converged = Math.max(...gradient.map(Math.abs)) < Math.sqrt(gTol);
      break;
    }
  }
  return { x, value, evaluations, iterations, converged, inverseHessian: h };
}
