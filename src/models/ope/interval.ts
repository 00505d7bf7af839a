/**
 * Confidence intervals for off-policy estimates: the nonparametric percentile bootstrap
 * over logged rounds (as the Open Bandit Pipeline's estimate_confidence_interval_by_bootstrap,
 * but re-estimating on each resample so SNIPS's denominator is resampled too), seeded.
 */
import { mulberry32 } from '../../core/random.js';
import { quantileSorted } from '../metrics/calibration.js';
import { checkConfidence, invalid } from '../stats/checks.js';
import { checkRounds, effectiveSampleSize, ESTIMATORS, estimate, maxWeight, DEFAULT_SETTINGS, type EstimatorName, type EstimatorSettings, type OpeRounds } from './estimators.js';

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface BootstrapOptions {
  resamples?: number;
  confidence?: number;
  seed?: number;
  /**
   * The cluster (0-based, e.g. the customer) of each round: a resample draws whole clusters
   * with replacement, so rounds that depend on each other (one customer's decisions: the
   * same person, caps and cool-downs linking them) stay together and the interval is not
   * too narrow. Without it every round is drawn on its own.
   */
  clusters?: Uint32Array;
}

/** Percentile bootstrap intervals of several estimators, from the same resamples. */
export function bootstrapIntervals(d: OpeRounds, names: readonly EstimatorName[] = ESTIMATORS, o: BootstrapOptions & { settings?: EstimatorSettings } = {}): Record<EstimatorName, Interval> {
  checkRounds(d);
  const resamples = o.resamples ?? 1000;
  const confidence = o.confidence ?? 0.95;
  checkConfidence(confidence);
  if (!Number.isInteger(resamples) || resamples < 10) invalid('resamples', 'min', `needs an integer >= 10, got ${resamples}`);
  const settings = o.settings ?? DEFAULT_SETTINGS;
  const rng = mulberry32(o.seed ?? 1);
  const n = d.reward.length;
  const draws = names.map(() => new Float64Array(resamples));
  const groups = o.clusters ? clusterMembers(o.clusters, n) : undefined;
  const idx = new Uint32Array(n);
  const grown: number[] = [];
  for (let b = 0; b < resamples; b++) {
    let sample: ArrayLike<number> = idx;
    if (groups) {
      grown.length = 0;
      for (let k = 0; k < groups.length; k++) for (const i of groups[Math.floor(rng.next() * groups.length)]!) grown.push(i);
      sample = grown;
    } else for (let k = 0; k < n; k++) idx[k] = Math.floor(rng.next() * n);
    names.forEach((name, j) => (draws[j]![b] = estimate(name, d, settings, sample)));
  }
  const alpha = 1 - confidence;
  const out = {} as Record<EstimatorName, Interval>;
  names.forEach((name, j) => {
    const sorted = draws[j]!.filter((v) => !Number.isNaN(v)).sort();
    out[name] = { estimate: estimate(name, d, settings), low: quantileSorted(sorted, alpha / 2), high: quantileSorted(sorted, 1 - alpha / 2) };
  });
  return out;
}

/** The rounds of each cluster; a cluster id must be an integer below n (ids need not be dense). */
function clusterMembers(clusters: Uint32Array, n: number): number[][] {
  if (clusters.length !== n) invalid('clusters', 'length', `has ${clusters.length} entries, reward has ${n}`);
  const byId = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    let g = byId.get(clusters[i]!);
    if (!g) byId.set(clusters[i]!, (g = []));
    g.push(i);
  }
  return [...byId.values()];
}

/** Every estimator with its interval, the effective sample size and the largest weight. */
export interface OffPolicyReport {
  rounds: number;
  effectiveSampleSize: number;
  maxWeight: number;
  estimates: Record<EstimatorName, Interval>;
}

/** The whole report for one reward. */
export function offPolicyReport(d: OpeRounds, o: BootstrapOptions & { settings?: EstimatorSettings } = {}): OffPolicyReport {
  return { rounds: d.reward.length, effectiveSampleSize: effectiveSampleSize(d), maxWeight: maxWeight(d), estimates: bootstrapIntervals(d, ESTIMATORS, o) };
}
