/**
 * Standard errors of maximum-likelihood estimates: the observed information (Hessian of
 * the negative log-likelihood, by central differences) inverted by Gauss-Jordan elimination.
 */
import { NextbestError } from '../../core/errors.js';

/** Hessian of `f` at `x` by central differences with relative step `h`. */
export function numericHessian(f: (x: readonly number[]) => number, x: readonly number[], h = 1e-4): number[][] {
  const n = x.length;
  const steps = x.map((xi) => h * Math.max(Math.abs(xi), 1e-2));
  const at = (di: number, si: number, dj: number, sj: number): number => {
    const p = Array.from(x);
    p[di] = p[di]! + si * steps[di]!;
    p[dj] = p[dj]! + sj * steps[dj]!;
    return f(p);
  };
  const f0 = f(x);
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const hi = steps[i]!;
    out[i]![i] = (at(i, 1, i, 1) - 2 * f0 + at(i, -1, i, -1)) / (4 * hi * hi);
    for (let j = 0; j < i; j++) {
      const v = (at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (4 * hi * steps[j]!);
      out[i]![j] = v;
      out[j]![i] = v;
    }
  }
  return out;
}

/** Inverse of a small square matrix by Gauss-Jordan with partial pivoting. */
export function invert(m: readonly (readonly number[])[]): number[][] {
  const n = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-300) throw new NextbestError('VALIDATION_FAILED', 'the information matrix is singular: standard errors are undefined');
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const p = a[col]![col]!;
    for (let j = 0; j < 2 * n; j++) a[col]![j] = a[col]![j]! / p;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = a[r]![col]!;
      if (factor === 0) continue;
      for (let j = 0; j < 2 * n; j++) a[r]![j] = a[r]![j]! - factor * a[col]![j]!;
    }
  }
  return a.map((row) => row.slice(n));
}

/** Standard errors: square roots of the diagonal of the inverse of the negative log-likelihood's Hessian. */
export function standardErrors(negLogLik: (x: readonly number[]) => number, estimate: readonly number[]): number[] {
  const cov = invert(numericHessian(negLogLik, estimate));
  return cov.map((row, i) => Math.sqrt(row[i]!));
}

/** Hessian by central differences of an analytic gradient (2 gradient calls per parameter), symmetrised. */
export function hessianFromGradient(gradient: (x: readonly number[]) => number[], x: readonly number[], h = 1e-5): number[][] {
  const n = x.length;
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const step = h * Math.max(Math.abs(x[i]!), 1e-2);
    const up = Array.from(x);
    const down = Array.from(x);
    up[i] = up[i]! + step;
    down[i] = down[i]! - step;
    const gu = gradient(up);
    const gd = gradient(down);
    for (let j = 0; j < n; j++) out[i]![j] = (gu[j]! - gd[j]!) / (2 * step);
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const v = (out[i]![j]! + out[j]![i]!) / 2;
      out[i]![j] = v;
      out[j]![i] = v;
    }
  }
  return out;
}
