/**
 * Adaptive Simpson quadrature (Lyness 1969, with Richardson's correction) for the smooth,
 * peaked one-dimensional integrands of the Bayesian comparisons. Integrands built on special
 * functions carry ~1e-12 relative noise, so a panel also stops refining once its correction is
 * below `relativeTolerance` of its own value, and the whole run has an evaluation budget:
 * without both, noise below the absolute tolerance makes the recursion explode.
 */

interface Budget {
  left: number;
}

function simpson(f: (x: number) => number, a: number, fa: number, b: number, fb: number, budget: Budget): [number, number, number] {
  const m = (a + b) / 2;
  const fm = f(m);
  budget.left--;
  return [m, fm, ((b - a) / 6) * (fa + 4 * fm + fb)];
}

/** Options of `integrate`. */
export interface IntegrateOptions {
  absoluteTolerance?: number;
  relativeTolerance?: number;
  maxDepth?: number;
  maxEvaluations?: number;
  /** Equal panels to start from: one Simpson estimate of a narrow peak can look converged at zero. */
  panels?: number;
}

/** ∫_a^b f(x) dx to about the requested tolerance. */
export function integrate(f: (x: number) => number, a: number, b: number, options: IntegrateOptions = {}): number {
  const abs = options.absoluteTolerance ?? 1e-13;
  const rel = options.relativeTolerance ?? 1e-11;
  const depth = options.maxDepth ?? 40;
  const panels = options.panels ?? 16;
  const budget: Budget = { left: options.maxEvaluations ?? 200_000 };
  let total = 0;
  const h = (b - a) / panels;
  let left = a;
  let fl = f(a);
  for (let i = 1; i <= panels; i++) {
    const right = i === panels ? b : a + i * h;
    const fr = f(right);
    const [pm, fpm, est] = simpson(f, left, fl, right, fr, budget);
    total += refine(f, left, fl, right, fr, pm, fpm, est, abs / panels, rel, depth, budget);
    left = right;
    fl = fr;
  }
  return total;
}

function refine(
  f: (x: number) => number,
  a: number, fa: number, b: number, fb: number, m: number, fm: number,
  whole: number, tolerance: number, rel: number, depth: number, budget: Budget,
): number {
  const [lm, flm, left] = simpson(f, a, fa, m, fm, budget);
  const [rm, frm, right] = simpson(f, m, fm, b, fb, budget);
  const delta = left + right - whole;
  const done = Math.abs(delta) <= 15 * tolerance || Math.abs(delta) <= rel * Math.abs(left + right);
  if (done || depth <= 0 || budget.left <= 0) return left + right + delta / 15;
  return (
    refine(f, a, fa, m, fm, lm, flm, left, tolerance / 2, rel, depth - 1, budget) +
    refine(f, m, fm, b, fb, rm, frm, right, tolerance / 2, rel, depth - 1, budget)
  );
}
