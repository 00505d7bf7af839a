/**
 * Dataset and binning: each feature's values are cut into at most `maxBin` quantile bins
 * (every distinct value gets its own bin when there are few, as XGBoost's `hist` does), plus
 * one extra bin per feature for missing values (NaN), so a histogram carries the missing
 * rows' gradient sums directly and split finding can learn their default direction.
 */
import { assertUnreachable, ValidationError } from '../../core/errors.js';
import { mulberry32 } from '../../core/random.js';
import { sketchCuts } from './quantileSketch.js';

/** A dense row-major feature matrix; NaN is a missing value. */
export interface FeatureMatrix {
  nRows: number;
  nFeatures: number;
  /** `values[row * nFeatures + feature]`. */
  values: Float64Array;
}

/** The binned training data the tree learner reads. */
export interface BinnedDataset {
  nRows: number;
  nFeatures: number;
  /** Per feature, ascending upper bounds: value bin b holds x with cuts[b-1] <= x < cuts[b]. */
  cuts: Float64Array[];
  /** Global index of each feature's first bin; the feature's missing bin is `binOffset[f] + cuts[f].length`. */
  binOffset: Int32Array;
  /** Total bins over all features (value bins + one missing bin each). */
  totalBins: number;
  /** Row-major global bin index of every cell (for histograms: one row's bins are adjacent). */
  bins: Uint16Array | Uint32Array;
  /** The same bins feature-major, `columns[f * nRows + row]` (for partitioning: one feature's bins are adjacent). */
  columns: Uint16Array | Uint32Array;
  /**
   * For data where most cells sit in their feature's most frequent bin (one-hot columns,
   * zero-heavy balances), each row's other cells only; histograms skip the frequent bin
   * and recover it as the node total minus the rest, as LightGBM does. Null when dense.
   */
  sparse: SparseBins | null;
}

/** Row-wise lists of the cells that are not in their feature's most frequent bin. */
export interface SparseBins {
  /** Row r's cells are `bins[rowStart[r] .. rowStart[r + 1])`. */
  rowStart: Uint32Array;
  bins: Uint16Array | Uint32Array;
  /** Global index of each feature's most frequent bin. */
  frequentBin: Int32Array;
}

// Below this share of kept cells the sparse histogram pays for its per-node fix-up.
const SPARSE_MAX_DENSITY = 0.75;

/** Checks the matrix shape; a ValidationError names the broken rule. */
export function checkMatrix(m: FeatureMatrix, field = 'features'): void {
  if (!Number.isInteger(m.nRows) || m.nRows < 0 || !Number.isInteger(m.nFeatures) || m.nFeatures < 1) {
    throw new ValidationError([{ field, rule: 'shape', message: `needs nRows >= 0 and nFeatures >= 1, got ${m.nRows} x ${m.nFeatures}` }]);
  }
  if (m.values.length !== m.nRows * m.nFeatures) {
    throw new ValidationError([{ field, rule: 'shape', message: `has ${m.values.length} values, expected ${m.nRows} x ${m.nFeatures}` }]);
  }
}

/**
 * Cut points of one feature from its sorted non-missing values, XGBoost-style: with at most
 * `maxBin` distinct values every value is its own bin; otherwise the bounds sit at the
 * i/maxBin quantiles. The last bound lies above the maximum.
 */
export function cutsFromSorted(sorted: Float64Array, maxBin: number): Float64Array {
  const n = sorted.length;
  if (n === 0) return new Float64Array([Number.MAX_VALUE]);
  const distinct: number[] = [sorted[0]!];
  for (let i = 1; i < n && distinct.length <= maxBin; i++) if (sorted[i]! > distinct[distinct.length - 1]!) distinct.push(sorted[i]!);
  const out: number[] = [];
  if (distinct.length <= maxBin) {
    for (let i = 1; i < distinct.length; i++) out.push(distinct[i]!);
  } else {
    for (let i = 1; i < maxBin; i++) {
      const v = sorted[Math.min(n - 1, Math.round((i * n) / maxBin))]!;
      if (v > sorted[0]! && (out.length === 0 || v > out[out.length - 1]!)) out.push(v);
    }
  }
  const max = sorted[n - 1]!;
  const last = max + (Math.abs(max) + 1e-5);
  if (out.length === 0 || last > out[out.length - 1]!) out.push(last);
  return Float64Array.from(out);
}

/**
 * How bin cuts are placed: `sketch` is XGBoost's weighted quantile sketch (the cuts its
 * `hist` method uses); `sorted` is the earlier exact i/maxBin quantiles of the sorted column.
 */
export type BinCuts = 'sketch' | 'sorted';

/**
 * Computes every feature's cuts. Above `sampleRows` rows the quantiles come from a seeded
 * sample of rows, as LightGBM's `bin_construct_sample_cnt` does, because sorting every
 * column of a large matrix costs more than the trees it feeds. `weights` (per row, or null)
 * weight the sketch as XGBoost weights it by sample weight.
 */
export function computeCuts(
  m: FeatureMatrix,
  maxBin: number,
  sampleRows: number,
  seed: number,
  method: BinCuts = 'sketch',
  weights: Float64Array | null = null,
): Float64Array[] {
  if (!Number.isInteger(maxBin) || maxBin < 2 || maxBin > 65000) {
    throw new ValidationError([{ field: 'maxBin', rule: 'range', message: `must be an integer in [2, 65000], got ${maxBin}` }]);
  }
  const { nRows, nFeatures, values } = m;
  let rows: Uint32Array;
  if (nRows > sampleRows) {
    const rng = mulberry32(seed);
    // Reservoir-free sample: a seeded partial Fisher-Yates over row ids.
    const all = new Uint32Array(nRows);
    for (let i = 0; i < nRows; i++) all[i] = i;
    for (let i = 0; i < sampleRows; i++) {
      const j = i + Math.floor(rng.next() * (nRows - i));
      const t = all[i]!;
      all[i] = all[j]!;
      all[j] = t;
    }
    rows = all.subarray(0, sampleRows).sort();
  } else {
    rows = new Uint32Array(nRows);
    for (let i = 0; i < nRows; i++) rows[i] = i;
  }
  // Gather the sampled rows feature-major in one sequential pass over the matrix.
  const nSample = rows.length;
  const columns = new Float64Array(nSample * nFeatures);
  const columnWeights = weights ? new Float64Array(nSample * nFeatures) : null;
  const filled = new Int32Array(nFeatures);
  for (let i = 0; i < nSample; i++) {
    const base = rows[i]! * nFeatures;
    for (let f = 0; f < nFeatures; f++) {
      const v = values[base + f]!;
      if (v !== v) continue;
      if (columnWeights) columnWeights[f * nSample + filled[f]!] = weights![rows[i]!]!;
      columns[f * nSample + filled[f]!++] = v;
    }
  }
  const cuts: Float64Array[] = [];
  for (let f = 0; f < nFeatures; f++) {
    const column = columns.subarray(f * nSample, f * nSample + filled[f]!);
    switch (method) {
      case 'sketch':
        cuts.push(sketchCuts(column, columnWeights ? columnWeights.subarray(f * nSample, f * nSample + filled[f]!) : null, maxBin));
        break;
      case 'sorted':
        cuts.push(cutsFromSorted(column.sort(), maxBin));
        break;
      default:
        assertUnreachable(method);
    }
  }
  return cuts;
}

/** Value bin of x in ascending cuts (upper_bound, clamped to the last bin). */
export function binOf(cuts: Float64Array, x: number): number {
  let lo = 0;
  let hi = cuts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < cuts[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Bins a matrix with the given cuts into a row-major global-bin matrix. */
export function binMatrix(m: FeatureMatrix, cuts: Float64Array[]): BinnedDataset {
  const { nRows, nFeatures, values } = m;
  const binOffset = new Int32Array(nFeatures);
  let total = 0;
  for (let f = 0; f < nFeatures; f++) {
    binOffset[f] = total;
    total += cuts[f]!.length + 1;
  }
  const small = total <= 65535;
  const bins = small ? new Uint16Array(nRows * nFeatures) : new Uint32Array(nRows * nFeatures);
  const columns = small ? new Uint16Array(nRows * nFeatures) : new Uint32Array(nRows * nFeatures);
  const missingBin = new Int32Array(nFeatures);
  for (let f = 0; f < nFeatures; f++) missingBin[f] = binOffset[f]! + cuts[f]!.length;
  // Row by row, so the matrix is read and the row-major bins written sequentially.
  for (let r = 0, idx = 0; r < nRows; r++) {
    for (let f = 0; f < nFeatures; f++, idx++) {
      const v = values[idx]!;
      const b = v === v ? binOffset[f]! + binOf(cuts[f]!, v) : missingBin[f]!;
      bins[idx] = b;
      columns[f * nRows + r] = b;
    }
  }
  return { nRows, nFeatures, cuts, binOffset, totalBins: total, bins, columns, sparse: sparseBins(bins, columns, nRows, nFeatures, binOffset, total) };
}

function sparseBins(
  bins: Uint16Array | Uint32Array,
  columns: Uint16Array | Uint32Array,
  nRows: number,
  nFeatures: number,
  binOffset: Int32Array,
  total: number,
): SparseBins | null {
  const count = new Float64Array(total);
  for (let k = 0; k < columns.length; k++) count[columns[k]!]++;
  const frequentBin = new Int32Array(nFeatures);
  let dropped = 0;
  for (let f = 0; f < nFeatures; f++) {
    const end = f + 1 < nFeatures ? binOffset[f + 1]! : total;
    let best = binOffset[f]!;
    for (let b = best + 1; b < end; b++) if (count[b]! > count[best]!) best = b;
    frequentBin[f] = best;
    dropped += count[best]!;
  }
  const kept = nRows * nFeatures - dropped;
  if (kept > SPARSE_MAX_DENSITY * nRows * nFeatures) return null;
  const rowStart = new Uint32Array(nRows + 1);
  const out = total <= 65535 ? new Uint16Array(kept) : new Uint32Array(kept);
  let k = 0;
  for (let r = 0; r < nRows; r++) {
    rowStart[r] = k;
    const base = r * nFeatures;
    for (let f = 0; f < nFeatures; f++) {
      const b = bins[base + f]!;
      if (b !== frequentBin[f]) out[k++] = b;
    }
  }
  rowStart[nRows] = k;
  return { rowStart, bins: out, frequentBin };
}
