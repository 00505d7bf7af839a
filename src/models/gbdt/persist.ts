/**
 * Our own model file: plain JSON with a format name and version, trees as arrays of
 * numbers. JSON numbers written by JavaScript round-trip doubles exactly, so a loaded
 * model scores bit-for-bit like the saved one. Loading checks the shape and names the
 * field that is wrong.
 */
import { ValidationError } from '../../core/errors.js';
import type { ColumnEncoding, GbdtModel } from './model.js';
import { objectiveFor, type ObjectiveName } from './objectives.js';
import type { Tree } from './tree.js';

/** The `format` field of our model files. */
export const MODEL_FORMAT = 'nextbest-gbdt';
/** Bumped whenever the file layout changes; loaders reject versions they do not know. */
export const MODEL_FORMAT_VERSION = 1;

const TREE_KEYS = ['feature', 'threshold', 'left', 'right', 'defaultLeft', 'value', 'cover', 'gain'] as const;

/** The model as a JSON-ready object. */
export function modelToJson(model: GbdtModel): Record<string, unknown> {
  return {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    objective: model.objective,
    baseMargin: model.baseMargin,
    float32Inputs: model.float32Inputs,
    bestIteration: model.bestIteration,
    featureNames: model.featureNames,
    ...(model.encoding ? { encoding: model.encoding } : {}),
    ...(model.params ? { params: model.params } : {}),
    trees: model.trees.map((t) => Object.fromEntries(TREE_KEYS.map((k) => [k, Array.from(t[k])]))),
  };
}

/** Serialises a model to JSON text. */
export function saveModel(model: GbdtModel): string {
  return JSON.stringify(modelToJson(model));
}

function bad(field: string, rule: string, message: string): never {
  throw new ValidationError([{ field, rule, message }]);
}

/** Parses and checks a saved model (text or already-parsed JSON). */
export function loadModel(input: string | unknown): GbdtModel {
  let j: Record<string, unknown>;
  try {
    j = (typeof input === 'string' ? JSON.parse(input) : input) as Record<string, unknown>;
  } catch (e) {
    return bad('model', 'json', `not valid JSON: ${(e as Error).message}`);
  }
  if (!j || typeof j !== 'object' || j.format !== MODEL_FORMAT) bad('format', 'equals', `expected "${MODEL_FORMAT}"`);
  if (j.formatVersion !== MODEL_FORMAT_VERSION) bad('formatVersion', 'supported', `version ${String(j.formatVersion)} is not supported (this build reads ${MODEL_FORMAT_VERSION})`);
  objectiveFor(String(j.objective));
  if (typeof j.baseMargin !== 'number') bad('baseMargin', 'type', 'must be a number');
  const names = j.featureNames;
  if (!Array.isArray(names) || !names.every((s) => typeof s === 'string')) bad('featureNames', 'type', 'must be an array of strings');
  if (!Array.isArray(j.trees)) bad('trees', 'type', 'must be an array');
  const trees = (j.trees as Record<string, unknown>[]).map((t, i) => treeFromJson(t, i, names.length));
  return {
    objective: j.objective as ObjectiveName,
    baseMargin: j.baseMargin,
    featureNames: names as string[],
    trees,
    float32Inputs: j.float32Inputs === true,
    bestIteration: typeof j.bestIteration === 'number' ? j.bestIteration : trees.length,
    ...(Array.isArray(j.encoding) ? { encoding: j.encoding as ColumnEncoding[] } : {}),
    ...(j.params && typeof j.params === 'object' ? { params: j.params as Record<string, unknown> } : {}),
  };
}

function treeFromJson(t: Record<string, unknown>, i: number, nFeatures: number): Tree {
  const arrays = TREE_KEYS.map((k) => {
    const a = t?.[k];
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'number')) bad(`trees[${i}].${k}`, 'type', 'must be an array of numbers');
    return a as number[];
  });
  const n = arrays[0]!.length;
  if (n === 0 || arrays.some((a) => a.length !== n)) bad(`trees[${i}]`, 'shape', 'node arrays must be non-empty and of equal length');
  const [feature, threshold, left, right, defaultLeft, value, cover, gain] = arrays as [number[], number[], number[], number[], number[], number[], number[], number[]];
  for (let k = 0; k < n; k++) {
    if (feature[k]! >= nFeatures) bad(`trees[${i}].feature[${k}]`, 'range', `feature ${feature[k]} but the model has ${nFeatures}`);
    if (feature[k]! >= 0 && !(left[k]! > k && left[k]! < n && right[k]! > k && right[k]! < n)) {
      bad(`trees[${i}].left[${k}]`, 'range', 'children must point forward inside the tree');
    }
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    defaultLeft: Uint8Array.from(defaultLeft),
    value: Float64Array.from(value),
    cover: Float64Array.from(cover),
    gain: Float64Array.from(gain),
  };
}
