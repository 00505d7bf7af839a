/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2; the recursion of
 * shap's `tree_shap.h`, which XGBoost's `pred_contribs` also uses). Node covers (hessian
 * sums) stand in for the data distribution, missing values follow the default direction,
 * and the contributions of a row plus the bias sum exactly to its margin.
 */
import type { GbdtModel } from './model.js';
import type { Tree } from './tree.js';

/** Per-tree precomputed state: node means and a path buffer sized for the tree's depth. */
interface ShapTree {
  tree: Tree;
  /** Cover-weighted mean leaf value under each node (the root's is the tree's expected value). */
  mean: Float64Array;
  depth: number;
}

/** An explainer over a model: contributions of every feature to one row's margin. */
export interface Explainer {
  /** Sum of the trees' expected values plus the base margin (XGBoost's bias column). */
  bias: number;
  /** Contributions of row `x[base..base+nFeatures)`: one per feature, then the bias last. */
  contributions(x: ArrayLike<number>, base?: number): Float64Array;
}

/** Builds a TreeSHAP explainer for a model. */
export function treeExplainer(model: GbdtModel): Explainer {
  const trees: ShapTree[] = model.trees.map((tree) => {
    const mean = new Float64Array(tree.feature.length);
    const depth = fillMeans(tree, 0, mean);
    return { tree, mean, depth };
  });
  const maxDepth = trees.reduce((m, t) => Math.max(m, t.depth), 0);
  // Path elements for every recursion level, stacked: sum over levels of (level + 1).
  const size = ((maxDepth + 2) * (maxDepth + 3)) / 2;
  const path: PathBuffer = {
    feature: new Int32Array(size),
    zero: new Float64Array(size),
    one: new Float64Array(size),
    weight: new Float64Array(size),
  };
  const bias = model.baseMargin + trees.reduce((s, t) => s + t.mean[0]!, 0);
  const nFeatures = model.featureNames.length;
  const f32 = model.float32Inputs;
  return {
    bias,
    contributions(x, base = 0) {
      const phi = new Float64Array(nFeatures + 1);
      const row = new Float64Array(nFeatures);
      for (let f = 0; f < nFeatures; f++) row[f] = f32 ? Math.fround(x[base + f]!) : x[base + f]!;
      for (const t of trees) recurse(t.tree, row, phi, path, 0, 0, 0, 1, 1, -1);
      phi[nFeatures] = bias;
      return phi;
    },
  };
}

function fillMeans(t: Tree, n: number, mean: Float64Array): number {
  if (t.feature[n]! < 0) {
    mean[n] = t.value[n]!;
    return 0;
  }
  const l = t.left[n]!;
  const r = t.right[n]!;
  const d = 1 + Math.max(fillMeans(t, l, mean), fillMeans(t, r, mean));
  mean[n] = (mean[l]! * t.cover[l]! + mean[r]! * t.cover[r]!) / t.cover[n]!;
  return d;
}

interface PathBuffer {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  weight: Float64Array;
}

/** The path of a recursion level lives at offset `start` with `depth + 1` elements. */
function extend(p: PathBuffer, s: number, depth: number, zero: number, one: number, feature: number): void {
  p.feature[s + depth] = feature;
  p.zero[s + depth] = zero;
  p.one[s + depth] = one;
  p.weight[s + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    p.weight[s + i + 1] += (one * p.weight[s + i]! * (i + 1)) / (depth + 1);
    p.weight[s + i] = (zero * p.weight[s + i]! * (depth - i)) / (depth + 1);
  }
}

function unwind(p: PathBuffer, s: number, depth: number, k: number): void {
  const one = p.one[s + k]!;
  const zero = p.zero[s + k]!;
  let next = p.weight[s + depth]!;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = p.weight[s + i]!;
      p.weight[s + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (p.weight[s + i]! * zero * (depth - i)) / (depth + 1);
    } else {
      p.weight[s + i] = (p.weight[s + i]! * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = k; i < depth; i++) {
    p.feature[s + i] = p.feature[s + i + 1]!;
    p.zero[s + i] = p.zero[s + i + 1]!;
    p.one[s + i] = p.one[s + i + 1]!;
  }
}

function unwoundSum(p: PathBuffer, s: number, depth: number, k: number): number {
  const one = p.one[s + k]!;
  const zero = p.zero[s + k]!;
  let next = p.weight[s + depth]!;
  let total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (depth + 1)) / ((i + 1) * one);
      total += tmp;
      next = p.weight[s + i]! - tmp * zero * ((depth - i) / (depth + 1));
    } else if (zero !== 0) {
      total += p.weight[s + i]! / zero / ((depth - i) / (depth + 1));
    }
  }
  return total;
}

function recurse(
  t: Tree,
  x: Float64Array,
  phi: Float64Array,
  p: PathBuffer,
  parentStart: number,
  node: number,
  depth: number,
  zero: number,
  one: number,
  feature: number,
): void {
  // Copy the parent's path to this level's slot, then extend it with the edge taken.
  const s = parentStart + depth;
  if (depth > 0) {
    p.feature.copyWithin(s, parentStart, parentStart + depth);
    p.zero.copyWithin(s, parentStart, parentStart + depth);
    p.one.copyWithin(s, parentStart, parentStart + depth);
    p.weight.copyWithin(s, parentStart, parentStart + depth);
  }
  extend(p, s, depth, zero, one, feature);
  const f = t.feature[node]!;
  if (f < 0) {
    const v = t.value[node]!;
    for (let i = 1; i <= depth; i++) {
      const w = unwoundSum(p, s, depth, i);
      phi[p.feature[s + i]!] += w * (p.one[s + i]! - p.zero[s + i]!) * v;
    }
    return;
  }
  const xv = x[f]!;
  const l = t.left[node]!;
  const r = t.right[node]!;
  const hot = xv < t.threshold[node]! ? l : xv >= t.threshold[node]! ? r : t.defaultLeft[node] ? l : r;
  const cold = hot === l ? r : l;
  const cover = t.cover[node]!;
  let inZero = 1;
  let inOne = 1;
  let d = depth;
  let k = 0;
  for (; k <= d; k++) if (p.feature[s + k] === f) break;
  if (k !== d + 1) {
    inZero = p.zero[s + k]!;
    inOne = p.one[s + k]!;
    unwind(p, s, d, k);
    d -= 1;
  }
  recurse(t, x, phi, p, s, hot, d + 1, (t.cover[hot]! / cover) * inZero, inOne, f);
  recurse(t, x, phi, p, s, cold, d + 1, (t.cover[cold]! / cover) * inZero, 0, f);
}
