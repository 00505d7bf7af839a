/**
 * Mini-batch k-means (Sculley 2010, "Web-scale k-means clustering") for millions of rows:
 * each step assigns a random batch to the nearest centres and moves each centre toward its
 * batch members with a per-centre learning rate 1 / (rows seen so far), so a centre becomes
 * the running mean of everything it has absorbed. Seeding is k-means++ on random samples of
 * 3 x batch rows (the best of `nInit` seeds on a separate validation sample); the run stops after `maxEpochs`
 * passes' worth of batches or when a smoothed batch inertia has not improved for
 * `maxNoImprovement` steps (scikit-learn's early stop). A final full pass labels every row.
 */
import { deriveSeed, mulberry32, type Rng } from '../../core/random.js';
import { nearestCentres } from './distance.js';
import { assignToNearest, kmeansPlusPlus, validateK, type KMeansResult } from './kmeans.js';
import type { FeatureMatrix } from './matrix.js';

/** Options of a mini-batch fit. */
export interface MiniBatchOptions {
  k: number;
  seed: number;
  batchSize?: number;
  /** k-means++ seeds tried on the seeding sample. */
  nInit?: number;
  maxEpochs?: number;
  maxNoImprovement?: number;
}

/** Rows `indices` of m as a new matrix. */
function takeRows(m: FeatureMatrix, indices: ArrayLike<number>): FeatureMatrix {
  const d = m.cols;
  const data = new Float64Array(indices.length * d);
  for (let r = 0; r < indices.length; r++) data.set(m.data.subarray(indices[r]! * d, (indices[r]! + 1) * d), r * d);
  return { data, rows: indices.length, cols: d };
}

/** `size` distinct row indices drawn uniformly (partial Fisher-Yates over a lazy permutation). */
export function sampleRows(n: number, size: number, rng: Rng): Int32Array {
  const take = Math.min(n, size);
  const swapped = new Map<number, number>();
  const out = new Int32Array(take);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rng.next() * (n - i));
    const vi = swapped.get(i) ?? i;
    const vj = swapped.get(j) ?? j;
    out[i] = vj;
    swapped.set(j, vi);
  }
  return out;
}

/** Fits k-means by mini-batches; returns the same shape as the full fit. */
export function fitMiniBatchKMeans(m: FeatureMatrix, options: MiniBatchOptions): KMeansResult {
  const { k, seed } = options;
  validateK(m, k);
  const { rows: n, cols: d, data } = m;
  const batchSize = Math.min(n, options.batchSize ?? 1024);
  const nInit = options.nInit ?? 3;
  const maxEpochs = options.maxEpochs ?? 100;
  const maxNoImprovement = options.maxNoImprovement ?? 10;
  const rng = mulberry32(deriveSeed(seed, 0));

  // Seeding: nInit k-means++ runs, each on its own random sample, judged on a separate
  // validation sample so the winner is not the one that best fits its own rows.
  const initSize = Math.min(n, Math.max(3 * batchSize, 3 * k));
  const validation = takeRows(m, sampleRows(n, initSize, rng));
  const validationLabels = new Int32Array(validation.rows);
  let centres: Float64Array = new Float64Array(0);
  let bestSeedInertia = Infinity;
  for (let run = 0; run < nInit; run++) {
    const seedRng = mulberry32(deriveSeed(seed, run + 1));
    const candidate = kmeansPlusPlus(takeRows(m, sampleRows(n, initSize, seedRng)), k, seedRng);
    const inertia = assignToNearest(validation, candidate, k, validationLabels);
    if (inertia < bestSeedInertia) {
      bestSeedInertia = inertia;
      centres = candidate;
    }
  }

  const nearest = new Float64Array(2);
  const seen = new Float64Array(k);
  const batchSums = new Float64Array(k * d);
  const batchCounts = new Float64Array(k);
  const maxSteps = Math.ceil((maxEpochs * n) / batchSize);
  let smoothed = NaN;
  let bestSmoothed = Infinity;
  let sinceImprovement = 0;
  let steps = 0;
  let converged = false;
  const alpha = Math.min(1, (2 * batchSize) / (n + 1)); // scikit-learn's smoothing weight
  for (; steps < maxSteps; steps++) {
    batchSums.fill(0);
    batchCounts.fill(0);
    let batchInertia = 0;
    for (let b = 0; b < batchSize; b++) {
      const i = Math.min(n - 1, Math.floor(rng.next() * n));
      const bestJ = nearestCentres(data, i, centres, k, d, nearest);
      batchInertia += nearest[0]!;
      batchCounts[bestJ] = batchCounts[bestJ]! + 1;
      for (let t = 0; t < d; t++) batchSums[bestJ * d + t] = batchSums[bestJ * d + t]! + data[i * d + t]!;
    }
    // Centre = running mean of all rows it absorbed: (c * seen + batch sum) / (seen + batch count).
    for (let j = 0; j < k; j++) {
      const c = batchCounts[j]!;
      if (c === 0) continue;
      const total = seen[j]! + c;
      for (let t = 0; t < d; t++) centres[j * d + t] = (centres[j * d + t]! * seen[j]! + batchSums[j * d + t]!) / total;
      seen[j] = total;
    }
    // The first batch's inertia measures the seeding, not the updates, so the smoothed curve
    // starts at the second batch (scikit-learn does the same).
    if (steps === 0) continue;
    const perRow = batchInertia / batchSize;
    smoothed = Number.isNaN(smoothed) ? perRow : smoothed * (1 - alpha) + perRow * alpha;
    if (smoothed < bestSmoothed) {
      bestSmoothed = smoothed;
      sinceImprovement = 0;
    } else if (++sinceImprovement >= maxNoImprovement) {
      converged = true;
      steps++;
      break;
    }
  }
  const labels = new Int32Array(n);
  const inertia = assignToNearest(m, centres, k, labels);
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) sizes[labels[i]!]!++;
  return { k, centres, labels, inertia, sizes, iterations: steps, converged };
}
