/**
 * Adaptive Simpson quadrature (Lyness 1969, with Richardson's correction) for the smooth,
 * peaked one-dimensional integrands of the Bayesian comparisons.
 */

function simpson(f: (x: number) => number, a: number, fa: number, b: number, fb: number): [number, number, number] {
  const m = (a + b) / 2;
  const fm = f(m);
  return [m, fm, ((b - a) / 6) * (fa + 4 * fm + fb)];
}

/** ∫_a^b f(x) dx to about `tolerance` absolute. */
export function integrate(f: (x: number) => number, a: number, b: number, tolerance = 1e-13, maxDepth = 50): number {
  const fa = f(a);
  const fb = f(b);
  // Start from 16 panels: a single Simpson estimate of a narrow peak can look converged at zero.
  let total = 0;
  const panels = 16;
  const h = (b - a) / panels;
  let left = a;
  let fl = fa;
  for (let i = 1; i <= panels; i++) {
    const right = i === panels ? b : a + i * h;
    const fr = i === panels ? fb : f(right);
    const [pm, fpm, est] = simpson(f, left, fl, right, fr);
    total += refine(f, left, fl, right, fr, pm, fpm, est, tolerance / panels, maxDepth);
    left = right;
    fl = fr;
  }
  return total;
}

function refine(
  f: (x: number) => number,
  a: number, fa: number, b: number, fb: number, m: number, fm: number,
  whole: number, tolerance: number, depth: number,
): number {
  const [lm, flm, left] = simpson(f, a, fa, m, fm);
  const [rm, frm, right] = simpson(f, m, fm, b, fb);
  const delta = left + right - whole;
  if (depth <= 0 || Math.abs(delta) <= 15 * tolerance) return left + right + delta / 15;
  return (
    refine(f, a, fa, m, fm, lm, flm, left, tolerance / 2, depth - 1) +
    refine(f, m, fm, b, fb, rm, frm, right, tolerance / 2, depth - 1)
  );
}
