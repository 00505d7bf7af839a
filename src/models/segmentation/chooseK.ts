/**
 * Choosing the number of segments. Two views, both reported, because neither is right on
 * every data set: the mean silhouette (Rousseeuw 1987) on a seeded sample of rows (exact
 * silhouette is quadratic in rows, so a few thousand rows stand in for millions), and the
 * elbow of the inertia curve, taken as the k farthest below the straight line from the
 * first to the last k once both axes are scaled to [0, 1] (the "kneedle" rule).
 */
import { ValidationError } from '../../core/errors.js';
import { deriveSeed, mulberry32 } from '../../core/random.js';
import { fitKMeans } from './kmeans.js';
import { fitMiniBatchKMeans, sampleRows } from './miniBatch.js';
import type { FeatureMatrix } from './matrix.js';

/**
 * Mean silhouette of the rows `sample` under `labels`: for each, (b - a) / max(a, b) with a the
 * mean distance to its own segment and b the smallest mean distance to another, both within
 * the sample. A row alone in its segment scores 0, as in scikit-learn.
 */
export function silhouette(m: FeatureMatrix, labels: Int32Array, k: number, sample: ArrayLike<number>): number {
  const d = m.cols;
  const s = sample.length;
  const sizes = new Float64Array(k);
  for (let r = 0; r < s; r++) sizes[labels[sample[r]!]!]!++;
  const perSegment = new Float64Array(k);
  let total = 0;
  for (let r = 0; r < s; r++) {
    const i = sample[r]!;
    perSegment.fill(0);
    for (let q = 0; q < s; q++) {
      if (q === r) continue;
      const j = sample[q]!;
      let dist = 0;
      for (let t = 0; t < d; t++) {
        const diff = m.data[i * d + t]! - m.data[j * d + t]!;
        dist += diff * diff;
      }
      perSegment[labels[j]!] = perSegment[labels[j]!]! + Math.sqrt(dist);
    }
    const own = labels[i]!;
    if (sizes[own]! <= 1) continue;
    const a = perSegment[own]! / (sizes[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) b = Math.min(b, perSegment[c]! / sizes[c]!);
    if (b === Infinity) continue;
    total += (b - a) / Math.max(a, b);
  }
  return total / s;
}

/** Index of the elbow: the point farthest below the chord of the normalised curve. */
export function elbowIndex(ks: readonly number[], inertias: readonly number[]): number {
  const n = ks.length;
  if (n < 3) return 0;
  const x0 = ks[0]!;
  const x1 = ks[n - 1]!;
  const y0 = inertias[0]!;
  const y1 = inertias[n - 1]!;
  let best = 0;
  let bestGap = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = (ks[i]! - x0) / (x1 - x0);
    const y = y0 === y1 ? 0 : (inertias[i]! - y1) / (y0 - y1); // 1 at the first k, 0 at the last
    const gap = 1 - x - y; // distance below the chord y = 1 - x (up to a constant factor)
    if (gap > bestGap) {
      bestGap = gap;
      best = i;
    }
  }
  return best;
}

/** Options of a k search. */
export interface ChooseKOptions {
  kMin: number;
  kMax: number;
  seed: number;
  nInit?: number;
  miniBatch?: boolean;
  /** Rows in the silhouette sample. */
  silhouetteSample?: number;
}

/** One k tried. */
export interface KCandidate {
  k: number;
  inertia: number;
  silhouette: number;
}

/** Fits every k in [kMin, kMax] and reports the silhouette's best k and the elbow. */
export function chooseK(m: FeatureMatrix, o: ChooseKOptions): { candidates: KCandidate[]; bestBySilhouette: number; elbow: number } {
  if (!(Number.isInteger(o.kMin) && Number.isInteger(o.kMax) && o.kMin >= 2 && o.kMax >= o.kMin)) {
    throw new ValidationError([{ field: 'k-range', rule: 'integers_from_2', message: `needs 2 <= kMin <= kMax, got ${o.kMin}-${o.kMax}` }]);
  }
  const sample = sampleRows(m.rows, o.silhouetteSample ?? 2000, mulberry32(deriveSeed(o.seed, 9_999)));
  const candidates: KCandidate[] = [];
  for (let k = o.kMin; k <= o.kMax; k++) {
    const fit = o.miniBatch ? fitMiniBatchKMeans(m, { k, seed: o.seed }) : fitKMeans(m, { k, seed: o.seed, nInit: o.nInit ?? 10 });
    candidates.push({ k, inertia: fit.inertia, silhouette: silhouette(m, fit.labels, k, sample) });
  }
  let best = candidates[0]!;
  for (const c of candidates) if (c.silhouette > best.silhouette) best = c;
  const elbow = candidates[elbowIndex(candidates.map((c) => c.k), candidates.map((c) => c.inertia))]!.k;
  return { candidates, bestBySilhouette: best.k, elbow };
}
