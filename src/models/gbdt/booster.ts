/**
 * The boosting loop: bin the data once, then each round ask the objective for gradients,
 * sample rows and columns (seeded), grow a tree, and move the margins. With a validation
 * set it tracks the objective's own loss and stops early, keeping the best rounds.
 */
import { assertUnreachable, ValidationError } from '../../core/errors.js';
import { deriveSeed, mulberry32 } from '../../core/random.js';
import { logLoss, poissonDeviance, rmse } from '../metrics/index.js';
import { binMatrix, checkMatrix, computeCuts, type FeatureMatrix } from './dataset.js';
import { HistogramPool } from './histogram.js';
import type { GbdtModel } from './model.js';
import { objectiveFor, type Objective } from './objectives.js';
import { monotoneVector, resolveParams, treeParams, type GbdtParams } from './params.js';
import { leafIndex, type Tree } from './tree.js';
import { growTree, leafOfBinnedRow } from './treeLearner.js';

/** Training inputs besides the parameters. */
export interface TrainData {
  features: FeatureMatrix;
  /** 0/1 for log loss, numbers for regression. */
  label: Float64Array;
  featureNames?: string[];
  /** Per-row weights (multiplied by class weights when both are given). */
  weight?: Float64Array;
  /** Held-out rows for early stopping. */
  validation?: { features: FeatureMatrix; label: Float64Array };
  /** Called after each round (e.g. for a progress bar). */
  onRound?: (round: number, validationLoss: number | null) => void;
  /**
   * Bin cuts to use instead of sketching them from `features` (per feature, ascending, the
   * last above the maximum): a model trained on pooled rows with the cuts a federation
   * agreed on grows the same trees as the federated model.
   */
  cuts?: Float64Array[];
  /**
   * Per-row margin the trees start from, on top of the base (XGBoost's base_margin): an effect
   * known from elsewhere (pooled over other data, say) that the trees learn around. The model
   * does not hold it: whoever scores adds it, or puts it in the model as trees of its own.
   */
  baseMargin?: Float64Array;
}

/** A trained model and its learning curve. */
export interface TrainResult {
  model: GbdtModel;
  /** Validation loss after each round (empty without a validation set). */
  validationLoss: number[];
}

/** Trains a gradient-boosted tree ensemble. */
export function train(data: TrainData, userParams: Partial<GbdtParams> | Record<string, unknown> = {}): TrainResult {
  const p = resolveParams(userParams as Record<string, unknown>);
  const X = data.features;
  checkMatrix(X);
  const n = X.nRows;
  if (n < 1) throw new ValidationError([{ field: 'features', rule: 'non_empty', message: 'no training rows' }]);
  if (data.label.length !== n) {
    throw new ValidationError([{ field: 'label', rule: 'length', message: `${data.label.length} labels for ${n} rows` }]);
  }
  const objective = objectiveFor(p.objective);
  objective.checkLabels(data.label);
  const featureNames = data.featureNames ?? Array.from({ length: X.nFeatures }, (_, i) => `f${i}`);
  if (featureNames.length !== X.nFeatures) {
    throw new ValidationError([{ field: 'featureNames', rule: 'length', message: `${featureNames.length} names for ${X.nFeatures} features` }]);
  }
  const weight = rowWeights(data, p, n);
  const monotone = monotoneVector(p, featureNames);

  // The sketch is weighted by the sample weights only, as XGBoost's (class weights act on gradients).
  const cuts = data.cuts ? checkCuts(data.cuts, X.nFeatures) : computeCuts(X, p.maxBin, p.binSampleRows, deriveSeed(p.seed, 1), p.binCuts, data.weight ?? null);
  const binned = binMatrix(X, cuts);
  const baseMargin = p.baseScore === 'mean' ? objective.initialMargin(data.label, weight) : objective.inverseTransform(p.baseScore);
  const tp = treeParams(p);

  const margin = new Float64Array(n).fill(baseMargin);
  if (data.baseMargin) {
    if (data.validation) throw new ValidationError([{ field: 'validation', rule: 'base_margin', message: 'validation rows would start without the base margins the training rows have: give one or the other' }]);
    if (data.baseMargin.length !== n) throw new ValidationError([{ field: 'baseMargin', rule: 'length', message: `${data.baseMargin.length} base margins for ${n} rows` }]);
    for (let i = 0; i < n; i++) {
      const m = data.baseMargin[i]!;
      if (!Number.isFinite(m)) throw new ValidationError([{ field: `baseMargin[${i}]`, rule: 'finite', message: `base margin ${m} is not a finite number` }]);
      margin[i] += m;
    }
  }
  const gradHess = new Float64Array(2 * n);
  const rows = new Uint32Array(n);
  const scratch = new Uint32Array(n);
  const inSample = new Uint8Array(n);
  const pool = new HistogramPool(2 * binned.totalBins);
  const rowRng = mulberry32(deriveSeed(p.seed, 2));
  const colRng = mulberry32(deriveSeed(p.seed, 3));
  const allFeatures = Int32Array.from({ length: X.nFeatures }, (_, i) => i);

  const val = data.validation;
  if (val) checkMatrix(val.features, 'validation.features');
  const valMargin = val ? new Float64Array(val.features.nRows).fill(baseMargin) : null;
  const valPred = val ? new Float64Array(val.features.nRows) : null;
  const validationLoss: number[] = [];
  let bestLoss = Infinity;
  let bestRound = 0;

  const trees: Tree[] = [];
  for (let round = 0; round < p.rounds; round++) {
    objective.gradients(margin, data.label, weight, gradHess);
    let nSel = n;
    const sampled = p.subsample < 1;
    if (sampled) {
      nSel = 0;
      for (let i = 0; i < n; i++) {
        const keep = rowRng.next() < p.subsample;
        inSample[i] = keep ? 1 : 0;
        if (keep) rows[nSel++] = i;
      }
    } else {
      for (let i = 0; i < n; i++) rows[i] = i;
    }
    const features = p.colsampleBytree < 1 ? sampleFeatures(X.nFeatures, p.colsampleBytree, colRng) : allFeatures;
    const grown = growTree(binned, gradHess, rows, nSel, !sampled, features, monotone, tp, pool, scratch);
    const { tree, leafRanges } = grown;
    for (let k = 0; k < leafRanges.length; k += 3) {
      const v = tree.value[leafRanges[k + 2]!]!;
      for (let i = leafRanges[k]!; i < leafRanges[k + 1]!; i++) margin[rows[i]!] += v;
    }
    if (sampled) {
      for (let i = 0; i < n; i++) if (!inSample[i]) margin[i] += tree.value[leafOfBinnedRow(tree, grown.splitBin, binned, i)]!;
    }
    trees.push(tree);

    let loss: number | null = null;
    if (val && valMargin && valPred) {
      const vf = val.features;
      for (let r = 0; r < vf.nRows; r++) {
        valMargin[r] += tree.value[leafIndex(tree, vf.values, r * vf.nFeatures)]!;
        valPred[r] = objective.transform(valMargin[r]!);
      }
      loss = validationMetric(objective, valPred, val.label);
      validationLoss.push(loss);
      if (loss < bestLoss) {
        bestLoss = loss;
        bestRound = round;
      }
    }
    data.onRound?.(round, loss);
    if (val && p.earlyStoppingRounds > 0 && round - bestRound >= p.earlyStoppingRounds) break;
  }
  const kept = val && p.earlyStoppingRounds > 0 ? bestRound + 1 : trees.length;
  const model: GbdtModel = {
    objective: p.objective,
    baseMargin,
    featureNames,
    trees: trees.slice(0, kept),
    float32Inputs: false,
    bestIteration: kept,
    params: { ...p },
  };
  return { model, validationLoss };
}

/** Supplied cuts: one ascending, non-empty array per feature; a ValidationError names the feature. */
export function checkCuts(cuts: Float64Array[], nFeatures: number): Float64Array[] {
  if (cuts.length !== nFeatures) throw new ValidationError([{ field: 'cuts', rule: 'length', message: `${cuts.length} cut arrays for ${nFeatures} features` }]);
  cuts.forEach((c, f) => {
    const ok = c.length > 0 && c.every((x, i) => Number.isFinite(x) && (i === 0 || x > c[i - 1]!));
    if (!ok) throw new ValidationError([{ field: `cuts.${f}`, rule: 'ascending', message: 'needs at least one finite cut, strictly ascending' }]);
  });
  return cuts;
}

function rowWeights(data: TrainData, p: GbdtParams, n: number): Float64Array | null {
  if (data.weight && data.weight.length !== n) {
    throw new ValidationError([{ field: 'weight', rule: 'length', message: `${data.weight.length} weights for ${n} rows` }]);
  }
  if (!p.classWeights) return data.weight ?? null;
  if (p.objective !== 'binary:logistic') {
    throw new ValidationError([{ field: 'params.classWeights', rule: 'objective', message: 'class weights need objective binary:logistic' }]);
  }
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const cw = data.label[i] === 1 ? p.classWeights.positive : p.classWeights.negative;
    w[i] = cw * (data.weight ? data.weight[i]! : 1);
  }
  return w;
}

/** A seeded choice of round(fraction * nFeatures) (at least one) distinct features, ascending. */
function sampleFeatures(nFeatures: number, fraction: number, rng: { next(): number }): Int32Array {
  const k = Math.max(1, Math.round(fraction * nFeatures));
  const all = Int32Array.from({ length: nFeatures }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng.next() * (nFeatures - i));
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, k).sort();
}

/** The objective's natural loss on held-out predictions (lower is better). */
export function validationMetric(objective: Objective, predictions: Float64Array, label: Float64Array): number {
  switch (objective.name) {
    case 'binary:logistic':
      return logLoss(predictions, label);
    case 'reg:squarederror':
      return rmse(predictions, label);
    case 'count:poisson':
      return poissonDeviance(predictions, label);
    default:
      return assertUnreachable(objective.name);
  }
}
