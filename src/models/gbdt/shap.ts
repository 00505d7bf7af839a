/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2; the recursion of
 * shap's `tree_shap.h`, which XGBoost's `pred_contribs` also uses). Node covers (hessian
 * sums) stand in for the data distribution, missing values follow the default direction,
 * and the contributions of a row plus the bias sum exactly to its margin.
 *
 * `treeExplainer` answers from tables (fastShap.ts) built when it is created, and keeps the
 * recursion for trees whose tables would not fit its memory budget; `recursiveExplainer` is
 * the recursion alone, the reference the tables are tested against.
 */
import type { GbdtModel } from './model.js';
import { treeDepth, type Tree } from './tree.js';
import { addContributions, distinctThresholds, joinPlans, planTree, rankRow, rowScratch, tableBytes, type BlockLimits, type Thresholds } from './fastShap.js';

/** An explainer over a model: contributions of every feature to one row's margin. */
export interface Explainer {
  /** Sum of the trees' expected values plus the base margin (XGBoost's bias column). */
  bias: number;
  /** Contributions of row `x[base..base+nFeatures)`: one per feature, then the bias last. */
  contributions(x: ArrayLike<number>, base?: number): Float64Array;
  /** Bytes of precomputed state held beyond the model itself. */
  bytes: number;
  /** Trees explained from tables (the rest by the recursion). */
  tabulatedTrees: number;
}

/** How much precomputation a `treeExplainer` may hold. */
export interface ExplainerOptions {
  /**
   * Most table entries (8 bytes each) for the whole model. The fastest way of cutting the
   * trees into blocks whose tables fit is used; if none fits, the smallest, with trees
   * tabulated in order while they fit and the rest explained by the recursion. The
   * default, 2^21 entries (16 MiB), holds 200 full trees of depth 6 with six distinct
   * features on every path in compact form.
   */
  tableBudget?: number;
  /** One way of cutting trees into blocks, instead of choosing (tests use it to reach every shape). */
  blocks?: BlockLimits;
}

const DEFAULT_TABLE_BUDGET = 1 << 21;

/**
 * Ways of cutting trees into blocks, fastest first. On the 200-tree depth-6 models of the
 * benches, compact blocks are about 10% slower to read than vector blocks and take 70% of
 * their memory; single-leaf blocks (published Fast TreeSHAP v2) 2.5 times slower, with the
 * smallest tables for deep trees with many distinct features on a path.
 */
const CUTS: readonly BlockLimits[] = [
  { height: 2, entries: 1024, form: 'vector' },
  { height: 2, entries: 1024, form: 'compact' },
  { height: 0, entries: 1 << 16, form: 'compact' },
];

/** The first cut under which every tree can be tabulated within the budget, else the last. */
function chooseCut(trees: readonly Tree[], th: Thresholds, budget: number): BlockLimits {
  for (const cut of CUTS) {
    let left = budget;
    const fits = trees.every((t) => {
      const p = planTree(t, th, cut, left, 1, true);
      if (p) left -= p.plan.entries;
      return p !== undefined;
    });
    if (fits) return cut;
  }
  return CUTS[CUTS.length - 1]!;
}

/** Builds a TreeSHAP explainer for a model: tables within the budget, the recursion for the rest. */
export function treeExplainer(model: GbdtModel, options: ExplainerOptions = {}): Explainer {
  const nFeatures = model.featureNames.length;
  const candidates = model.trees.filter(tableable);
  const th = distinctThresholds(candidates, nFeatures);
  // Tables pack a feature index into 16 bits; wider models keep the recursion.
  let budget = nFeatures <= 0xffff ? (options.tableBudget ?? DEFAULT_TABLE_BUDGET) : 0;
  const cut = options.blocks ?? chooseCut(candidates, th, budget);
  const plans = [];
  const recursive: Tree[] = [];
  let nIds = 1;
  for (const t of model.trees) {
    const planned = tableable(t) ? planTree(t, th, cut, budget, nIds) : undefined;
    if (planned) {
      plans.push(planned.plan);
      budget -= planned.plan.entries;
      nIds = planned.nextId;
    } else recursive.push(t);
  }
  const tables = joinPlans(plans, th, nIds);
  const rest = recursion(recursive);
  const bias = model.baseMargin + model.trees.reduce((s, t) => s + expectedValue(t), 0);
  const f32 = model.float32Inputs;
  const key = new Int32Array(nFeatures);
  const pattern = new Int32Array(nIds);
  const scratch = rowScratch(tables);
  // Filled with a fraction first so that V8 stores it as an array of doubles.
  const acc = Array.from({ length: nFeatures + 1 }, () => 0.5);
  const row = new Float64Array(nFeatures);
  return {
    bias,
    bytes: tableBytes(tables) + rest.bytes,
    tabulatedTrees: plans.length,
    contributions(x, base = 0) {
      const phi = new Float64Array(nFeatures + 1);
      if (plans.length > 0) {
        rankRow(th, x, base, f32, key);
        acc.fill(0);
        addContributions(tables, key, pattern, acc, scratch);
        phi.set(acc);
      }
      if (recursive.length > 0) {
        for (let f = 0; f < nFeatures; f++) row[f] = f32 ? Math.fround(x[base + f]!) : x[base + f]!;
        rest.add(row, phi);
      }
      phi[nFeatures] = bias;
      return phi;
    },
  };
}

/** The recursion (Algorithm 2) for every tree: the reference for `treeExplainer`. */
export function recursiveExplainer(model: GbdtModel): Explainer {
  const nFeatures = model.featureNames.length;
  const rest = recursion(model.trees);
  const bias = model.baseMargin + model.trees.reduce((s, t) => s + expectedValue(t), 0);
  const f32 = model.float32Inputs;
  return {
    bias,
    bytes: rest.bytes,
    tabulatedTrees: 0,
    contributions(x, base = 0) {
      const phi = new Float64Array(nFeatures + 1);
      const row = new Float64Array(nFeatures);
      for (let f = 0; f < nFeatures; f++) row[f] = f32 ? Math.fround(x[base + f]!) : x[base + f]!;
      rest.add(row, phi);
      phi[nFeatures] = bias;
      return phi;
    },
  };
}

/**
 * Whether tables give a tree the recursion's numbers: thresholds must be ordered (not NaN)
 * to rank them, leaf values finite, and covers positive and finite so that every zero
 * fraction z is too (compact tables divide by z).
 */
function tableable(t: Tree): boolean {
  for (let n = 0; n < t.feature.length; n++) {
    if (t.feature[n]! >= 0 ? Number.isNaN(t.threshold[n]!) : !Number.isFinite(t.value[n]!)) return false;
    if (!(t.cover[n]! > 0 && t.cover[n]! < Infinity)) return false;
  }
  return true;
}

/** Cover-weighted mean leaf value of a tree (its output with every feature unknown). */
function expectedValue(t: Tree): number {
  const mean = new Float64Array(t.feature.length);
  fillMeans(t, 0, mean);
  return mean[0]!;
}

/** Algorithm 2 over some trees, with one path buffer sized for the deepest. */
function recursion(trees: readonly Tree[]): { add(row: Float64Array, phi: Float64Array): void; bytes: number } {
  const maxDepth = trees.reduce((m, t) => Math.max(m, treeDepth(t)), 0);
  // Path elements for every recursion level, stacked: sum over levels of (level + 1).
  const size = ((maxDepth + 2) * (maxDepth + 3)) / 2;
  const path: PathBuffer = {
    feature: new Int32Array(size),
    zero: new Float64Array(size),
    one: new Float64Array(size),
    weight: new Float64Array(size),
  };
  return {
    bytes: size * 28,
    add(row, phi) {
      for (const t of trees) recurse(t, row, phi, path, 0, 0, 0, 1, 1, -1);
    },
  };
}

function fillMeans(t: Tree, n: number, mean: Float64Array): void {
  if (t.feature[n]! < 0) {
    mean[n] = t.value[n]!;
    return;
  }
  const l = t.left[n]!;
  const r = t.right[n]!;
  fillMeans(t, l, mean);
  fillMeans(t, r, mean);
  mean[n] = (mean[l]! * t.cover[l]! + mean[r]! * t.cover[r]!) / t.cover[n]!;
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
