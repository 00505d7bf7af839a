/**
 * Import of XGBoost models saved with `save_model` in JSON (1.x and 2.x `gbtree`, numeric
 * splits). XGBoost compares float32 feature values with float32 thresholds (`x < cond` goes
 * left, missing follows `default_left`); leaves hold `split_conditions` already scaled by
 * eta; the margin is the tree sum plus `base_score` mapped through the objective's link.
 */
import { ValidationError } from '../../core/errors.js';
import type { GbdtModel } from './model.js';
import { objectiveFor, type ObjectiveName } from './objectives.js';
import type { Tree } from './tree.js';

interface XgbTree {
  left_children: number[];
  right_children: number[];
  split_indices: number[];
  split_conditions: number[];
  default_left: (number | boolean)[];
  sum_hessian: number[];
  loss_changes: number[];
  base_weights: number[];
  split_type?: number[];
}

const OBJECTIVE_MAP: Record<string, ObjectiveName> = {
  'binary:logistic': 'binary:logistic',
  'binary:logitraw': 'binary:logistic',
  'reg:logistic': 'binary:logistic',
  'reg:squarederror': 'reg:squarederror',
  'reg:linear': 'reg:squarederror',
  'count:poisson': 'count:poisson',
};

function fail(field: string, rule: string, message: string): never {
  throw new ValidationError([{ field, rule, message }]);
}

/** Converts a parsed XGBoost JSON model (`save_model("m.json")`) into our model. */
export function importXgboost(json: unknown): GbdtModel {
  const learner = (json as { learner?: Record<string, unknown> })?.learner;
  if (!learner || typeof learner !== 'object') fail('learner', 'required', 'not an XGBoost JSON model (no "learner")');
  const objName = (learner.objective as { name?: string } | undefined)?.name ?? '';
  const objective = OBJECTIVE_MAP[objName] ?? fail('learner.objective.name', 'supported', `objective "${objName}" is not supported; supported: ${Object.keys(OBJECTIVE_MAP).join(', ')}`);
  const lmp = learner.learner_model_param as Record<string, string> | undefined;
  const numClass = Number(lmp?.num_class ?? 0);
  if (numClass > 1) fail('learner.learner_model_param.num_class', 'supported', 'multiclass models are not supported');
  // base_score is stored as a prediction ("5E-1"), sometimes inside brackets in 2.x.
  const baseScore = Number(String(lmp?.base_score ?? '0.5').replace(/[[\]]/g, ''));
  const gb = learner.gradient_booster as { name?: string; model?: { trees?: XgbTree[] } } | undefined;
  if (gb?.name !== 'gbtree' || !Array.isArray(gb.model?.trees)) fail('learner.gradient_booster', 'supported', 'only gbtree boosters are supported');
  const nFeatures = Number(lmp?.num_feature ?? 0);
  const names = Array.isArray(learner.feature_names) && learner.feature_names.length === nFeatures
    ? (learner.feature_names as string[])
    : Array.from({ length: nFeatures }, (_, i) => `f${i}`);
  const baseMargin = objName === 'binary:logitraw' ? baseScore : objectiveFor(objective).inverseTransform(baseScore);
  const trees = gb.model.trees.map((t, i) => convertTree(t, i, nFeatures));
  return { objective, baseMargin, featureNames: names, trees, float32Inputs: true, bestIteration: trees.length };
}

function convertTree(t: XgbTree, index: number, nFeatures: number): Tree {
  const n = t.left_children.length;
  const field = `learner.gradient_booster.model.trees[${index}]`;
  if ([t.right_children, t.split_indices, t.split_conditions, t.default_left, t.sum_hessian].some((a) => !Array.isArray(a) || a.length !== n)) {
    fail(field, 'shape', 'node arrays differ in length');
  }
  if (t.split_type?.some((s) => s !== 0)) fail(field, 'supported', 'categorical splits are not supported; one-hot encode instead');
  const tree: Tree = {
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    left: new Int32Array(n),
    right: new Int32Array(n),
    defaultLeft: new Uint8Array(n),
    value: new Float64Array(n),
    cover: new Float64Array(n),
    gain: new Float64Array(n),
  };
  for (let k = 0; k < n; k++) {
    const leaf = t.left_children[k] === -1;
    const f = t.split_indices[k]!;
    if (!leaf && (f < 0 || f >= nFeatures)) fail(`${field}.split_indices[${k}]`, 'range', `feature ${f} outside 0..${nFeatures - 1}`);
    tree.feature[k] = leaf ? -1 : f;
    tree.threshold[k] = leaf ? 0 : Math.fround(t.split_conditions[k]!);
    tree.left[k] = t.left_children[k]!;
    tree.right[k] = t.right_children[k]!;
    tree.defaultLeft[k] = t.default_left[k] ? 1 : 0;
    tree.value[k] = leaf ? t.split_conditions[k]! : 0;
    tree.cover[k] = t.sum_hessian[k]!;
    tree.gain[k] = leaf ? 0 : (t.loss_changes?.[k] ?? 0);
  }
  return tree;
}
