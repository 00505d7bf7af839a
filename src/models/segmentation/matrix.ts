/**
 * Customer-by-feature matrices for segmentation: one row per customer, row-major in a
 * Float64Array, plus the column standardisation (z-scores with the population SD, as
 * scikit-learn's StandardScaler) that puts balances in pounds and counts of logins on one scale.
 */
import { ValidationError } from '../../core/errors.js';

/** A dense row-major matrix: value of feature j for row i at data[i * cols + j]. */
export interface FeatureMatrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Per-column mean and population standard deviation. */
export interface Scaler {
  mean: Float64Array;
  sd: Float64Array;
}

/** Builds a matrix from row arrays, rejecting ragged or non-finite input with the row and column named. */
export function matrixFromRows(rows: readonly (readonly number[])[], columnNames?: readonly string[]): FeatureMatrix {
  const n = rows.length;
  const d = n > 0 ? rows[0]!.length : 0;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (row.length !== d) throw new ValidationError([{ field: `row ${i}`, rule: 'same_width', message: `has ${row.length} values, expected ${d}` }]);
    for (let j = 0; j < d; j++) {
      const v = row[j]!;
      if (!Number.isFinite(v)) throw new ValidationError([{ field: `row ${i}, ${columnNames?.[j] ?? `column ${j}`}`, rule: 'finite_number', message: `is ${v}` }]);
      data[i * d + j] = v;
    }
  }
  return { data, rows: n, cols: d };
}

/** Column means and population (ddof 0) standard deviations; a constant column gets SD 1 so it maps to 0. */
export function fitScaler(m: FeatureMatrix): Scaler {
  const { data, rows: n, cols: d } = m;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] = mean[j]! + data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / n;
  // Two passes (sum of squared deviations) rather than E[x^2] - E[x]^2, which cancels badly on balances.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const dev = data[i * d + j]! - mean[j]!;
      sd[j] = sd[j]! + dev * dev;
    }
  }
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(sd[j]! / n);
    sd[j] = s > 0 ? s : 1;
  }
  return { mean, sd };
}

/** z-scores of every value: (x - mean) / sd, as a new matrix. */
export function standardize(m: FeatureMatrix, s: Scaler): FeatureMatrix {
  const { data, rows: n, cols: d } = m;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = (data[i * d + j]! - s.mean[j]!) / s.sd[j]!;
  return { data: out, rows: n, cols: d };
}

/** Back from z-scores to original units (for centres). */
export function unstandardize(m: FeatureMatrix, s: Scaler): FeatureMatrix {
  const { data, rows: n, cols: d } = m;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = data[i * d + j]! * s.sd[j]! + s.mean[j]!;
  return { data: out, rows: n, cols: d };
}

/** Row i as a plain array. */
export function rowOf(m: FeatureMatrix, i: number): number[] {
  return Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols));
}
