/**
 * Small dense linear algebra over row-major Float64Arrays: LU with partial pivoting
 * (general solves and inverses, e.g. the Markov fundamental matrix) and Cholesky
 * (symmetric positive definite systems, e.g. the Cox information matrix).
 * Matrices here are p x p with p in the tens, so plain loops are the right tool.
 */
import { NextbestError } from '../../core/errors.js';

/** A square matrix stored row-major: element (i, j) is `data[i * n + j]`. */
export interface SquareMatrix {
  n: number;
  data: Float64Array;
}

/** An n x n matrix from nested arrays. */
export function fromRows(rows: readonly (readonly number[])[]): SquareMatrix {
  const n = rows.length;
  const data = new Float64Array(n * n);
  rows.forEach((row, i) => {
    if (row.length !== n) throw new RangeError(`row ${i} has ${row.length} entries, expected ${n}`);
    data.set(row, i * n);
  });
  return { n, data };
}

/** Nested arrays from a matrix (for JSON output). */
export function toRows(m: SquareMatrix): number[][] {
  return Array.from({ length: m.n }, (_, i) => Array.from(m.data.subarray(i * m.n, (i + 1) * m.n)));
}

/** The n x n identity. */
export function identity(n: number): SquareMatrix {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { n, data };
}

/** Product A B of two n x n matrices. */
export function multiply(a: SquareMatrix, b: SquareMatrix): SquareMatrix {
  const n = a.n;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a.data[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += aik * b.data[k * n + j]!;
    }
  }
  return { n, data: out };
}

/** A^k for k >= 0 by repeated squaring. */
export function power(a: SquareMatrix, k: number): SquareMatrix {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`matrix power needs an integer k >= 0, got ${k}`);
  let result = identity(a.n);
  let base = a;
  let e = k;
  while (e > 0) {
    if (e & 1) result = multiply(result, base);
    e >>= 1;
    if (e > 0) base = multiply(base, base);
  }
  return result;
}

/** LU factors with the row permutation, as produced by `luDecompose`. */
export interface LuFactors {
  n: number;
  /** L (unit diagonal, below) and U (on and above the diagonal) packed together. */
  lu: Float64Array;
  pivot: Int32Array;
}

function singular(what: string): NextbestError {
  return new NextbestError('VALIDATION_FAILED', `${what}: the matrix is singular (or numerically so)`, {
    issues: [{ field: 'matrix', rule: 'nonsingular', message: `${what} needs a nonsingular matrix` }],
  });
}

/** LU decomposition with partial pivoting (Doolittle); throws on a singular matrix. */
export function luDecompose(m: SquareMatrix): LuFactors {
  const n = m.n;
  const lu = Float64Array.from(m.data);
  const pivot = new Int32Array(n);
  let scale = 0;
  for (const v of lu) scale = Math.max(scale, Math.abs(v));
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(lu[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best <= scale * 1e-14 || best === 0) throw singular('LU decomposition');
    pivot[k] = p;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j]!;
        lu[k * n + j] = lu[p * n + j]!;
        lu[p * n + j] = t;
      }
    }
    const diag = lu[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const f = (lu[i * n + k]! /= diag);
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) lu[i * n + j]! -= f * lu[k * n + j]!;
    }
  }
  return { n, lu, pivot };
}

/** Solves A x = b from LU factors. */
export function luSolve(f: LuFactors, b: ArrayLike<number>): Float64Array {
  const { n, lu, pivot } = f;
  const x = Float64Array.from(b);
  for (let k = 0; k < n; k++) {
    const p = pivot[k]!;
    if (p !== k) {
      const t = x[k]!;
      x[k] = x[p]!;
      x[p] = t;
    }
  }
  for (let i = 1; i < n; i++) {
    let s = x[i]!;
    for (let j = 0; j < i; j++) s -= lu[i * n + j]! * x[j]!;
    x[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let j = i + 1; j < n; j++) s -= lu[i * n + j]! * x[j]!;
    x[i] = s / lu[i * n + i]!;
  }
  return x;
}

/** Solves A x = b for a general square A. */
export function solve(a: SquareMatrix, b: ArrayLike<number>): Float64Array {
  return luSolve(luDecompose(a), b);
}

/** The inverse of a general square matrix (column by column from one LU). */
export function inverse(a: SquareMatrix): SquareMatrix {
  const f = luDecompose(a);
  const n = a.n;
  const out = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = luSolve(f, e);
    for (let i = 0; i < n; i++) out[i * n + j] = col[i]!;
  }
  return { n, data: out };
}

/** Lower-triangular L with A = L Lᵀ for symmetric positive definite A; throws otherwise. */
export function cholesky(a: SquareMatrix): SquareMatrix {
  const n = a.n;
  const l = new Float64Array(n * n);
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a.data[i * n + i]!));
  for (let j = 0; j < n; j++) {
    let d = a.data[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! * l[j * n + k]!;
    if (!(d > scale * 1e-13)) throw singular('Cholesky decomposition');
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a.data[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  return { n, data: l };
}

/** Solves A x = b given the Cholesky factor L of A. */
export function choleskySolve(l: SquareMatrix, b: ArrayLike<number>): Float64Array {
  const n = l.n;
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= l.data[i * n + k]! * x[k]!;
    x[i] = s / l.data[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= l.data[k * n + i]! * x[k]!;
    x[i] = s / l.data[i * n + i]!;
  }
  return x;
}

/** The inverse of a symmetric positive definite matrix via its Cholesky factor. */
export function choleskyInverse(a: SquareMatrix): SquareMatrix {
  const l = cholesky(a);
  const n = a.n;
  const out = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(l, e);
    for (let i = 0; i < n; i++) out[i * n + j] = col[i]!;
  }
  // Symmetrise: the two triangles differ only by rounding.
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const v = (out[i * n + j]! + out[j * n + i]!) / 2;
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  return { n, data: out };
}
