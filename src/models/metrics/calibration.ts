/**
 * How well probabilities match outcomes and how well scores rank: the calibration curve
 * (predicted vs observed rate per bin) with its expected calibration error, lift in the top
 * decile, and Spearman's rank correlation (average ranks for ties, as scipy does).
 */
import { ValidationError } from '../../core/errors.js';

/** One bin of a calibration curve. */
export interface CalibrationBin {
  /** Bounds of the predicted probability: lower < p <= upper (the first bin includes its lower bound). */
  lower: number;
  upper: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

/** A calibration curve and its summary. */
export interface CalibrationCurve {
  bins: CalibrationBin[];
  /** Σ n_b/N · |observed_b − predicted_b|: the mean distance of the curve from the diagonal. */
  ece: number;
  /** Mean prediction and observed rate overall (calibration in the large). */
  meanPredicted: number;
  observedRate: number;
}

function check(p: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  if (p.length !== y.length) throw new ValidationError([{ field: what, rule: 'length', message: `${p.length} predictions but ${y.length} outcomes` }]);
  if (p.length === 0) throw new ValidationError([{ field: what, rule: 'non_empty', message: 'no rows' }]);
}

/**
 * The calibration curve with `nBins` bins. `uniform` bins split [0, 1] evenly (scikit-learn's
 * `calibration_curve(strategy='uniform')`, empty bins dropped); `quantile` bins hold equal
 * numbers of rows, which suits rare outcomes whose predictions crowd near 0.
 */
export function calibrationCurve(probs: ArrayLike<number>, outcomes: ArrayLike<number>, nBins = 10, strategy: 'uniform' | 'quantile' = 'uniform'): CalibrationCurve {
  check(probs, outcomes, 'calibrationCurve');
  const n = probs.length;
  let edges: number[];
  if (strategy === 'uniform') edges = Array.from({ length: nBins + 1 }, (_, k) => k / nBins);
  else {
    const sorted = Float64Array.from(probs).sort();
    edges = Array.from({ length: nBins + 1 }, (_, k) => quantileSorted(sorted, k / nBins));
  }
  const count = new Float64Array(nBins);
  const sumP = new Float64Array(nBins);
  const sumY = new Float64Array(nBins);
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    // As scikit-learn (numpy.searchsorted, side 'left'): a value on an inner edge stays in the lower bin.
    let b = 0;
    while (b < nBins - 1 && p > edges[b + 1]!) b++;
    count[b]!++;
    sumP[b]! += p;
    sumY[b]! += outcomes[i]!;
  }
  const bins: CalibrationBin[] = [];
  let ece = 0;
  let totalP = 0;
  let totalY = 0;
  for (let b = 0; b < nBins; b++) {
    totalP += sumP[b]!;
    totalY += sumY[b]!;
    if (count[b] === 0) continue;
    const bin = { lower: edges[b]!, upper: edges[b + 1]!, count: count[b]!, meanPredicted: sumP[b]! / count[b]!, observedRate: sumY[b]! / count[b]! };
    bins.push(bin);
    ece += (bin.count / n) * Math.abs(bin.observedRate - bin.meanPredicted);
  }
  return { bins, ece, meanPredicted: totalP / n, observedRate: totalY / n };
}

/** Linear-interpolated quantile of sorted values (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Lift in the top fraction (default the top decile): the outcome rate among the highest
 * scores over the overall rate. Ties at the cut are broken by row order, so lift is exact
 * for the row count ceil(fraction × n).
 */
export function liftAtTop(scores: ArrayLike<number>, outcomes: ArrayLike<number>, fraction = 0.1): number {
  check(scores, outcomes, 'liftAtTop');
  const n = scores.length;
  const k = Math.max(1, Math.ceil(fraction * n));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  let top = 0;
  let all = 0;
  for (let i = 0; i < n; i++) all += outcomes[i]!;
  for (let i = 0; i < k; i++) top += outcomes[order[i]!]!;
  return all === 0 ? Number.NaN : top / k / (all / n);
}

/** Ranks 1..n with ties given their average rank. */
export function averageRanks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]!] === x[order[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/** Pearson correlation; NaN when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  check(a, b, 'pearson');
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? Number.NaN : sab / Math.sqrt(saa * sbb);
}

/** Spearman's rank correlation (Pearson on average ranks, as scipy.stats.spearmanr). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  check(a, b, 'spearman');
  return pearson(averageRanks(a), averageRanks(b));
}
