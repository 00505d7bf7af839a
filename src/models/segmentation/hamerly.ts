/**
 * Hamerly's bounds for Lloyd iterations (Hamerly 2010, "Making k-means even faster"): each
 * row keeps an upper bound on the distance to its own centre and a lower bound on the
 * distance to any other. When the upper bound is below both the lower bound and half the gap
 * from its centre to the nearest other centre, the row cannot change segment and its k
 * distances are skipped. After the first few iterations most rows are skipped, which is what
 * makes full k-means on a million customers affordable. The labels are exactly Lloyd's
 * (up to ties between equidistant centres).
 */
import { nearestCentres, squaredDistance } from './distance.js';
import type { FeatureMatrix } from './matrix.js';

/** Exact nearest and second-nearest centre of every row; sets labels and both bounds. */
export function initialBounds(m: FeatureMatrix, centres: Float64Array, k: number, labels: Int32Array, upper: Float64Array, lower: Float64Array): void {
  const out = new Float64Array(2);
  for (let i = 0; i < m.rows; i++) nearestTwo(m, centres, k, i, labels, upper, lower, out);
}

function nearestTwo(m: FeatureMatrix, centres: Float64Array, k: number, i: number, labels: Int32Array, upper: Float64Array, lower: Float64Array, out: Float64Array): void {
  labels[i] = nearestCentres(m.data, i, centres, k, m.cols, out);
  upper[i] = Math.sqrt(out[0]!);
  lower[i] = Math.sqrt(out[1]!);
}

/** One assignment pass that skips rows whose bounds prove they stay; returns how many rows changed segment. */
export function boundedAssign(m: FeatureMatrix, centres: Float64Array, k: number, labels: Int32Array, upper: Float64Array, lower: Float64Array): number {
  const d = m.cols;
  // Half the distance from each centre to its nearest other centre.
  const halfGap = new Float64Array(k).fill(Infinity);
  for (let j = 0; j < k; j++) {
    for (let q = j + 1; q < k; q++) {
      const g = 0.5 * Math.sqrt(squaredDistance(centres, j, centres, q, d));
      if (g < halfGap[j]!) halfGap[j] = g;
      if (g < halfGap[q]!) halfGap[q] = g;
    }
  }
  const out = new Float64Array(2);
  let changed = 0;
  for (let i = 0; i < m.rows; i++) {
    const own = labels[i]!;
    const bound = Math.max(halfGap[own]!, lower[i]!);
    if (upper[i]! <= bound) continue;
    upper[i] = Math.sqrt(squaredDistance(m.data, i, centres, own, d));
    if (upper[i]! <= bound) continue;
    nearestTwo(m, centres, k, i, labels, upper, lower, out);
    if (labels[i] !== own) changed++;
  }
  return changed;
}

/** After centre j moved by moved[j], widen every row's bounds so they stay valid. */
export function loosenBounds(labels: Int32Array, upper: Float64Array, lower: Float64Array, moved: Float64Array): void {
  let max = 0;
  let maxJ = -1;
  let secondMax = 0;
  for (let j = 0; j < moved.length; j++) {
    const v = moved[j]!;
    if (v > max) {
      secondMax = max;
      max = v;
      maxJ = j;
    } else if (v > secondMax) secondMax = v;
  }
  for (let i = 0; i < labels.length; i++) {
    const own = labels[i]!;
    upper[i] = upper[i]! + moved[own]!;
    lower[i] = lower[i]! - (own === maxJ ? secondMax : max);
  }
}
