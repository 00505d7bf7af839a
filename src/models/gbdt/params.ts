/**
 * Training parameters: our names, XGBoost's names accepted as aliases (so a data scientist
 * can paste an XGBoost parameter dict), defaults, and range checks that name the field.
 */
import { ValidationError, type FieldIssue } from '../../core/errors.js';
import type { BinCuts } from './dataset.js';
import { objectiveFor, type ObjectiveName } from './objectives.js';
import type { TreeParams } from './treeLearner.js';

/** Everything that shapes a training run. */
export interface GbdtParams {
  objective: ObjectiveName;
  rounds: number;
  learningRate: number;
  /** 0 = no limit. */
  maxDepth: number;
  /** 0 = no limit. */
  maxLeaves: number;
  growPolicy: 'depthwise' | 'lossguide';
  lambda: number;
  alpha: number;
  minChildWeight: number;
  minSplitGain: number;
  /** null = the objective's default (0.7 for Poisson, else none). */
  maxDeltaStep: number | null;
  subsample: number;
  colsampleBytree: number;
  seed: number;
  maxBin: number;
  /** Rows sampled to place the bin boundaries on large data. */
  binSampleRows: number;
  /** 'sketch': XGBoost's weighted quantile sketch; 'sorted': exact i/maxBin quantiles (the earlier method). */
  binCuts: BinCuts;
  /** Weights of negative and positive rows (binary only). */
  classWeights: { negative: number; positive: number } | null;
  /** Per feature -1 (decreasing), 0, +1 (increasing); by index or by feature name. */
  monotone: number[] | Record<string, number> | null;
  /** Stop after this many rounds without improvement on the validation set; 0 = off. */
  earlyStoppingRounds: number;
  /** 'mean' boosts from the weighted label mean; a number is XGBoost's base_score (a prediction). */
  baseScore: number | 'mean';
}

/** Defaults: XGBoost's, except boosting from the label mean. */
export const DEFAULT_PARAMS: GbdtParams = {
  objective: 'binary:logistic',
  rounds: 100,
  learningRate: 0.3,
  maxDepth: 6,
  maxLeaves: 0,
  growPolicy: 'depthwise',
  lambda: 1,
  alpha: 0,
  minChildWeight: 1,
  minSplitGain: 0,
  maxDeltaStep: null,
  subsample: 1,
  colsampleBytree: 1,
  seed: 0,
  maxBin: 256,
  binSampleRows: 200_000,
  binCuts: 'sketch',
  classWeights: null,
  monotone: null,
  earlyStoppingRounds: 0,
  baseScore: 'mean',
};

const ALIASES: Record<string, keyof GbdtParams> = {
  eta: 'learningRate',
  learning_rate: 'learningRate',
  num_boost_round: 'rounds',
  n_estimators: 'rounds',
  nrounds: 'rounds',
  max_depth: 'maxDepth',
  max_leaves: 'maxLeaves',
  num_leaves: 'maxLeaves',
  grow_policy: 'growPolicy',
  reg_lambda: 'lambda',
  lambda_l2: 'lambda',
  reg_alpha: 'alpha',
  lambda_l1: 'alpha',
  min_child_weight: 'minChildWeight',
  gamma: 'minSplitGain',
  min_split_loss: 'minSplitGain',
  max_delta_step: 'maxDeltaStep',
  colsample_bytree: 'colsampleBytree',
  random_state: 'seed',
  max_bin: 'maxBin',
  monotone_constraints: 'monotone',
  early_stopping_rounds: 'earlyStoppingRounds',
  base_score: 'baseScore',
};

// XGBoost keys that only tune its runtime; accepted and ignored.
const IGNORED = new Set(['nthread', 'n_jobs', 'tree_method', 'eval_metric', 'verbosity', 'silent', 'booster']);

type Rule = (v: unknown) => string | null;
const num = (lo: number, hi: number, integer = false): Rule => (v) =>
  typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))
    ? `must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}]`
    : null;
const openNum = (lo: number, hi: number): Rule => (v) =>
  typeof v !== 'number' || !(v > lo) || v > hi ? `must be a number in (${lo}, ${hi}]` : null;

const RULES: Record<keyof GbdtParams, Rule> = {
  objective: (v) => (typeof v === 'string' ? (objectiveFor(v), null) : 'must be a string'),
  rounds: num(1, 1e6, true),
  learningRate: openNum(0, 10),
  maxDepth: num(0, 64, true),
  maxLeaves: num(0, 1e6, true),
  growPolicy: (v) => (v === 'depthwise' || v === 'lossguide' ? null : 'must be "depthwise" or "lossguide"'),
  lambda: num(0, 1e12),
  alpha: num(0, 1e12),
  minChildWeight: num(0, 1e12),
  minSplitGain: num(0, 1e12),
  maxDeltaStep: (v) => (v === null ? null : num(0, 1e12)(v)),
  subsample: openNum(0, 1),
  colsampleBytree: openNum(0, 1),
  seed: num(0, 2 ** 32 - 1, true),
  maxBin: num(2, 65000, true),
  binSampleRows: num(1000, 1e9, true),
  binCuts: (v) => (v === 'sketch' || v === 'sorted' ? null : 'must be "sketch" or "sorted"'),
  classWeights: (v) =>
    v === null
      ? null
      : typeof v === 'object' && ['negative', 'positive'].every((k) => num(0, 1e12)((v as Record<string, unknown>)[k]) === null)
        ? null
        : 'must be { "negative": w0, "positive": w1 } with weights >= 0',
  monotone: (v) => {
    if (v === null) return null;
    const vals = Array.isArray(v) ? v : typeof v === 'object' ? Object.values(v as object) : null;
    return vals && vals.every((d) => d === -1 || d === 0 || d === 1) ? null : 'must be an array or a {feature: direction} object of -1, 0, 1';
  },
  earlyStoppingRounds: num(0, 1e6, true),
  baseScore: (v) => (v === 'mean' || (typeof v === 'number' && Number.isFinite(v)) ? null : 'must be "mean" or a number'),
};

/** Merges user parameters (our names or XGBoost's) over the defaults; a ValidationError names each bad key. */
export function resolveParams(input: Record<string, unknown> = {}): GbdtParams {
  const out: Record<string, unknown> = { ...DEFAULT_PARAMS };
  const issues: FieldIssue[] = [];
  for (const [rawKey, value] of Object.entries(input)) {
    if (IGNORED.has(rawKey)) continue;
    const key = (ALIASES[rawKey] ?? rawKey) as keyof GbdtParams;
    const rule = RULES[key];
    if (!rule) {
      issues.push({ field: `params.${rawKey}`, rule: 'unknown', message: `unknown parameter; known: ${Object.keys(RULES).join(', ')}` });
      continue;
    }
    let v = value;
    if (key === 'growPolicy' && v === 'leafwise') v = 'lossguide';
    if (key === 'objective' && v === 'binary') v = 'binary:logistic';
    if (key === 'monotone' && typeof v === 'string') v = JSON.parse(v.replace(/^\(/, '[').replace(/\)$/, ']'));
    let problem: string | null;
    try {
      problem = rule(v);
    } catch (e) {
      problem = (e as Error).message;
    }
    if (problem) issues.push({ field: `params.${rawKey}`, rule: 'range', message: problem });
    else out[key] = v;
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return out as unknown as GbdtParams;
}

/** The parameters each tree is grown with (maxDeltaStep null = the objective's default). */
export function treeParams(p: GbdtParams): TreeParams {
  return {
    learningRate: p.learningRate,
    maxDepth: p.maxDepth,
    maxLeaves: p.maxLeaves,
    growPolicy: p.growPolicy,
    lambda: p.lambda,
    alpha: p.alpha,
    minChildWeight: p.minChildWeight,
    maxDeltaStep: p.maxDeltaStep ?? objectiveFor(p.objective).defaultMaxDeltaStep,
    minSplitGain: p.minSplitGain,
  };
}

/** Monotone directions by feature index, or null when no feature is constrained. */
export function monotoneVector(p: GbdtParams, featureNames: string[]): Int8Array | null {
  if (!p.monotone) return null;
  const out = new Int8Array(featureNames.length);
  if (Array.isArray(p.monotone)) {
    if (p.monotone.length > featureNames.length) {
      throw new ValidationError([{ field: 'params.monotone', rule: 'length', message: `${p.monotone.length} directions for ${featureNames.length} features` }]);
    }
    p.monotone.forEach((d, i) => (out[i] = d));
  } else {
    for (const [name, d] of Object.entries(p.monotone)) {
      const i = featureNames.indexOf(name);
      if (i < 0) throw new ValidationError([{ field: `params.monotone.${name}`, rule: 'unknown_feature', message: 'no feature has this name' }]);
      out[i] = d;
    }
  }
  return out.some((d) => d !== 0) ? out : null;
}
