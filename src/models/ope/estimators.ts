/**
 * Off-policy estimators of a target policy's value from rounds logged under another
 * policy, as the Open Bandit Pipeline defines them (Saito et al., obp/ope/estimators.py):
 * w = π_e(a|x) / π_b(a|x) is the importance weight of the logged action,
 *   IPS   = mean(w r)                          (clipped at λ: min(w, λ))
 *   SNIPS = Σ w r / Σ w
 *   DM    = mean(Σ_a π_e(a|x) q̂(x, a))
 *   DR    = DM + mean(w (r − q̂(x, a)))         (clipped at λ: min(w, λ))
 *   Switch-DR = DM + mean(1[w ≤ τ] w (r − q̂(x, a)))
 * and the effective sample size (Σ w)² / Σ w² (Kish).
 */
import { ValidationError, type FieldIssue } from '../../core/errors.js';

/** Logged rounds as parallel arrays (one entry per logged decision). */
export interface OpeRounds {
  /** The observed reward r of the logged action. */
  reward: Float64Array;
  /** π_b(a|x): the probability the logging policy chose the logged action with. */
  pscore: Float64Array;
  /** π_e(a|x): the probability the target policy gives the logged action. */
  target: Float64Array;
  /** q̂(x, a): the reward model's estimate for the logged action. */
  qLogged: Float64Array;
  /** Σ_a π_e(a|x) q̂(x, a): the reward model's estimate under the target policy. */
  qTarget: Float64Array;
}

export const ESTIMATORS = ['ips', 'snips', 'dm', 'dr', 'clipped_dr', 'switch_dr'] as const;
export type EstimatorName = (typeof ESTIMATORS)[number];

/** λ for clipped DR and τ for Switch-DR (both on the importance weight). */
export interface EstimatorSettings {
  clip: number;
  switchAt: number;
}

export const DEFAULT_SETTINGS: EstimatorSettings = { clip: 10, switchAt: 10 };

/** Rounds from row objects (tests and small callers). */
export function roundsOf(rows: readonly { reward: number; pscore: number; target: number; qLogged: number; qTarget: number }[]): OpeRounds {
  const col = (k: keyof (typeof rows)[number]) => Float64Array.from(rows, (r) => r[k]);
  return { reward: col('reward'), pscore: col('pscore'), target: col('target'), qLogged: col('qLogged'), qTarget: col('qTarget') };
}

/** Checks shapes and ranges; a bad round is named by field and index. */
export function checkRounds(d: OpeRounds): void {
  const n = d.reward.length;
  const issues: FieldIssue[] = [];
  for (const k of ['pscore', 'target', 'qLogged', 'qTarget'] as const) if (d[k].length !== n) issues.push({ field: k, rule: 'length', message: `has ${d[k].length} entries, reward has ${n}` });
  if (n === 0) issues.push({ field: 'reward', rule: 'min_length', message: 'needs at least one logged round' });
  if (issues.length > 0) throw new ValidationError(issues);
  for (let i = 0; i < n && issues.length < 10; i++) {
    if (!(d.pscore[i]! > 0 && d.pscore[i]! <= 1)) issues.push({ field: `pscore[${i}]`, rule: 'probability', message: `must be in (0, 1], got ${d.pscore[i]}` });
    if (!(d.target[i]! >= 0 && d.target[i]! <= 1)) issues.push({ field: `target[${i}]`, rule: 'probability', message: `must be in [0, 1], got ${d.target[i]}` });
    for (const k of ['reward', 'qLogged', 'qTarget'] as const) if (!Number.isFinite(d[k][i]!)) issues.push({ field: `${k}[${i}]`, rule: 'finite', message: `must be a finite number, got ${d[k][i]}` });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/**
 * One estimator over the rounds, or over a resample of them (`idx`: round indexes, with
 * repeats) so the bootstrap recomputes the ratio estimators on each resample.
 */
export function estimate(name: EstimatorName, d: OpeRounds, s: EstimatorSettings = DEFAULT_SETTINGS, idx?: ArrayLike<number>): number {
  const n = idx ? idx.length : d.reward.length;
  let sum = 0;
  let weights = 0;
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k]! : k;
    const w = d.target[i]! / d.pscore[i]!;
    const r = d.reward[i]!;
    switch (name) {
      case 'ips':
        sum += w * r;
        break;
      case 'snips':
        sum += w * r;
        weights += w;
        break;
      case 'dm':
        sum += d.qTarget[i]!;
        break;
      case 'dr':
        sum += d.qTarget[i]! + w * (r - d.qLogged[i]!);
        break;
      case 'clipped_dr':
        sum += d.qTarget[i]! + Math.min(w, s.clip) * (r - d.qLogged[i]!);
        break;
      case 'switch_dr':
        sum += d.qTarget[i]! + (w <= s.switchAt ? w * (r - d.qLogged[i]!) : 0);
        break;
    }
  }
  // No weight at all: the target never takes a logged action, and SNIPS has nothing to say.
  if (name === 'snips') return weights > 0 ? sum / weights : Number.NaN;
  return sum / n;
}

/** Kish's effective sample size of the importance weights: n when the policies agree, small when few rounds carry the estimate. */
export function effectiveSampleSize(d: OpeRounds): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < d.reward.length; i++) {
    const w = d.target[i]! / d.pscore[i]!;
    s += w;
    s2 += w * w;
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}

/** The largest importance weight (a warning sign when it dwarfs n). */
export function maxWeight(d: OpeRounds): number {
  let m = 0;
  for (let i = 0; i < d.reward.length; i++) m = Math.max(m, d.target[i]! / d.pscore[i]!);
  return m;
}
