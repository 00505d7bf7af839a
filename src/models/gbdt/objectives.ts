/**
 * Objectives: each turns margins and labels into gradients and hessians (and says how a
 * margin becomes a prediction). Nothing else in the learner knows which loss it fits, so
 * adding a loss never touches the tree code.
 */
import { ValidationError } from '../../core/errors.js';

/** The objectives we train. */
export type ObjectiveName = 'binary:logistic' | 'reg:squarederror' | 'count:poisson';

/** A differentiable loss over margins. */
export interface Objective {
  name: ObjectiveName;
  /** Writes weighted gradient and hessian of each row into gradHess as [g0, h0, g1, h1, ...]. */
  gradients(margin: Float64Array, label: Float64Array, weight: Float64Array | null, gradHess: Float64Array): void;
  /** The margin that best fits the labels with no trees (boost from average). */
  initialMargin(label: Float64Array, weight: Float64Array | null): number;
  /** Margin to prediction (probability, mean). */
  transform(margin: number): number;
  /** Prediction (e.g. XGBoost's base_score) to margin. */
  inverseTransform(prediction: number): number;
  /** Rejects labels the loss is not defined for. */
  checkLabels(label: Float64Array): void;
  /** XGBoost's default step limit for the loss (0.7 for Poisson, else none). */
  defaultMaxDeltaStep: number;
}

const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));

function weightedMean(label: Float64Array, weight: Float64Array | null): number {
  let s = 0;
  let w = 0;
  for (let i = 0; i < label.length; i++) {
    const wi = weight ? weight[i]! : 1;
    s += wi * label[i]!;
    w += wi;
  }
  return w > 0 ? s / w : 0;
}

function labelRule(label: Float64Array, ok: (y: number) => boolean, rule: string, message: string): void {
  for (let i = 0; i < label.length; i++) {
    if (!ok(label[i]!)) throw new ValidationError([{ field: `label[${i}]`, rule, message: `${message}, got ${label[i]}` }]);
  }
}

/** Log loss on a logit margin: g = p - y, h = p(1 - p). */
const binaryLogistic: Objective = {
  name: 'binary:logistic',
  gradients(margin, label, weight, gh) {
    for (let i = 0; i < margin.length; i++) {
      const p = 1 / (1 + Math.exp(-margin[i]!));
      const w = weight ? weight[i]! : 1;
      gh[2 * i] = (p - label[i]!) * w;
      // XGBoost floors the hessian so a saturated row still has a tiny weight.
      gh[2 * i + 1] = Math.max(p * (1 - p), 1e-16) * w;
    }
  },
  initialMargin(label, weight) {
    const p = Math.min(Math.max(weightedMean(label, weight), 1e-6), 1 - 1e-6);
    return Math.log(p / (1 - p));
  },
  transform: sigmoid,
  inverseTransform: (p) => Math.log(p / (1 - p)),
  checkLabels: (label) => labelRule(label, (y) => y === 0 || y === 1, 'binary', 'must be 0 or 1'),
  defaultMaxDeltaStep: 0,
};

/** Squared error on an identity margin: g = m - y, h = 1. */
const squaredError: Objective = {
  name: 'reg:squarederror',
  gradients(margin, label, weight, gh) {
    for (let i = 0; i < margin.length; i++) {
      const w = weight ? weight[i]! : 1;
      gh[2 * i] = (margin[i]! - label[i]!) * w;
      gh[2 * i + 1] = w;
    }
  },
  initialMargin: weightedMean,
  transform: (m) => m,
  inverseTransform: (y) => y,
  checkLabels: (label) => labelRule(label, Number.isFinite, 'finite', 'must be a finite number'),
  defaultMaxDeltaStep: 0,
};

/** Poisson deviance on a log margin: g = exp(m) - y, h = exp(m + maxDeltaStep) as XGBoost does. */
const poisson: Objective = {
  name: 'count:poisson',
  gradients(margin, label, weight, gh) {
    // XGBoost inflates the hessian by exp(max_delta_step) to keep early steps safe.
    const inflate = Math.exp(0.7);
    for (let i = 0; i < margin.length; i++) {
      const w = weight ? weight[i]! : 1;
      const mu = Math.exp(margin[i]!);
      gh[2 * i] = (mu - label[i]!) * w;
      gh[2 * i + 1] = mu * inflate * w;
    }
  },
  initialMargin: (label, weight) => Math.log(Math.max(weightedMean(label, weight), 1e-6)),
  transform: Math.exp,
  inverseTransform: Math.log,
  checkLabels: (label) => labelRule(label, (y) => Number.isFinite(y) && y >= 0, 'non_negative', 'must be a count >= 0'),
  defaultMaxDeltaStep: 0.7,
};

const OBJECTIVES: Record<ObjectiveName, Objective> = {
  'binary:logistic': binaryLogistic,
  'reg:squarederror': squaredError,
  'count:poisson': poisson,
};

/** The objective of a name, or a ValidationError listing the known ones. */
export function objectiveFor(name: string): Objective {
  const o = (OBJECTIVES as Record<string, Objective | undefined>)[name];
  if (!o) {
    throw new ValidationError([{ field: 'objective', rule: 'enum', message: `unknown objective "${name}"; known: ${Object.keys(OBJECTIVES).join(', ')}` }]);
  }
  return o;
}
