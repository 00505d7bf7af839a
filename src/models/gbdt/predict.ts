/**
 * Scoring. The ensemble is flattened into one set of typed arrays (all trees' nodes back to
 * back, children as absolute indices, the missing-value child resolved up front), so one
 * customer's score is a tight loop of array reads: a few microseconds for 200 trees.
 */
import { ValidationError } from '../../core/errors.js';
import type { FeatureMatrix } from './dataset.js';
import type { GbdtModel } from './model.js';
import { objectiveFor } from './objectives.js';

/**
 * The ensemble as flat arrays for fast scoring. Each node is 16 bytes in one buffer —
 * threshold (float64), then feature and left child (int32) — so a step of a walk reads one
 * cache line. A node's right child is its left child plus one, and a leaf is a fixed point
 * (its left child is itself, its threshold NaN, so no comparison moves it): every tree can
 * then be walked a fixed number of steps with no "is this a leaf" branch, and four trees
 * are walked side by side so their memory reads overlap.
 */
export interface FlatEnsemble {
  nFeatures: number;
  baseMargin: number;
  float32Inputs: boolean;
  /** First node of each tree. */
  roots: Int32Array;
  /** Depth of each tree (steps from the root to its deepest leaf). */
  depth: Int32Array;
  /** Node k: `nodes[2k]` is its threshold (NaN at leaves). */
  nodes: Float64Array;
  /**
   * The same buffer as int32: `words[4k + 2]` is the feature (0 at leaves) with bit 30 set
   * when missing values go right; `words[4k + 3]` is the left child (a leaf: itself).
   */
  words: Int32Array;
  /** Leaf value (0 for internal nodes). */
  value: Float64Array;
  /**
   * Every feature's distinct split thresholds, ascending, back to back
   * (feature f's are `splitValues[splitStart[f] .. splitStart[f + 1])`).
   */
  splitValues: Float64Array;
  splitStart: Int32Array;
  /** Node k's threshold as an index into its feature's thresholds (leaves: 2^30). */
  rank: Int32Array;
  /** Scratch row for float32 rounding. */
  scratch: Float64Array;
  /** Scratch: a row's value of each feature as a threshold rank. */
  rowRank: Int32Array;
  /**
   * The ranked walk's nodes packed into 8 bytes each (`packed[2k]` the left child,
   * `packed[2k + 1]` missing-goes-right << 31 | threshold rank << 10 | feature), so 200 trees take a third of
   * the cache; null when a model has over 1,024 features or 2^21 thresholds on one.
   */
  packed: Int32Array | null;
}

const FEATURE_MASK = 0x3fffffff;
const MISSING_RIGHT = 0x40000000;

/** Flattens a model's trees (all of them, or the first `nTrees`). */
export function flatten(model: GbdtModel, nTrees = model.trees.length): FlatEnsemble {
  const trees = model.trees.slice(0, nTrees);
  const total = trees.reduce((s, t) => s + t.feature.length, 0);
  const nodes = new Float64Array(2 * total);
  const words = new Int32Array(nodes.buffer);
  const out: FlatEnsemble = {
    nFeatures: model.featureNames.length,
    baseMargin: model.baseMargin,
    float32Inputs: model.float32Inputs,
    roots: new Int32Array(trees.length),
    depth: new Int32Array(trees.length),
    nodes,
    words,
    value: new Float64Array(total),
    splitValues: new Float64Array(0),
    splitStart: new Int32Array(model.featureNames.length + 1),
    rank: new Int32Array(total),
    scratch: new Float64Array(model.featureNames.length),
    rowRank: new Int32Array(model.featureNames.length),
    packed: null,
  };
  let off = 0;
  trees.forEach((t, i) => {
    out.roots[i] = off;
    // Breadth-first renumbering puts every pair of children side by side.
    const order = [0];
    const newId = new Int32Array(t.feature.length).fill(-1);
    const depth = new Int32Array(t.feature.length);
    newId[0] = off;
    let next = off + 1;
    let maxDepth = 0;
    for (let q = 0; q < order.length; q++) {
      const n = order[q]!;
      const k = newId[n]!;
      if (t.feature[n]! < 0) {
        nodes[2 * k] = NaN;
        words[4 * k + 2] = 0;
        words[4 * k + 3] = k;
        out.value[k] = t.value[n]!;
        maxDepth = Math.max(maxDepth, depth[n]!);
        continue;
      }
      const l = t.left[n]!;
      const r = t.right[n]!;
      newId[l] = next;
      newId[r] = next + 1;
      depth[l] = depth[r] = depth[n]! + 1;
      nodes[2 * k] = t.threshold[n]!;
      words[4 * k + 2] = t.feature[n]! | (t.defaultLeft[n] ? 0 : MISSING_RIGHT);
      words[4 * k + 3] = next;
      next += 2;
      order.push(l, r);
    }
    out.depth[i] = maxDepth;
    off = next;
  });
  rankThresholds(out);
  out.packed = pack(out);
  return out;
}

const PACK_FEATURES = 1024;
const PACK_LEAF_RANK = (1 << 21) - 1;
const PACK_RANK_MASK = (1 << 21) - 1;

function pack(e: FlatEnsemble): Int32Array | null {
  if (e.nFeatures > PACK_FEATURES) return null;
  for (let f = 0; f < e.nFeatures; f++) if (e.splitStart[f + 1]! - e.splitStart[f]! >= PACK_LEAF_RANK) return null;
  const total = e.value.length;
  const packed = new Int32Array(2 * total);
  for (let k = 0; k < total; k++) {
    const leaf = e.words[4 * k + 3] === k;
    packed[2 * k] = e.words[4 * k + 3]!;
    // A leaf's rank is above any row's, so the walk never moves off it.
    // Bit 31: a missing value goes right (never at a leaf, so a leaf stays put).
    packed[2 * k + 1] = leaf ? PACK_LEAF_RANK << 10 : (e.words[4 * k + 2]! & MISSING_RIGHT ? 1 << 31 : 0) | (e.rank[k]! << 10) | (e.words[4 * k + 2]! & FEATURE_MASK);
  }
  return packed;
}

/** Fills splitValues/splitStart and each node's threshold rank. */
function rankThresholds(e: FlatEnsemble): void {
  const nF = e.nFeatures;
  const perFeature: number[][] = Array.from({ length: nF }, () => []);
  const total = e.value.length;
  for (let k = 0; k < total; k++) {
    if (e.words[4 * k + 3] === k) continue; // leaf
    perFeature[e.words[4 * k + 2]! & FEATURE_MASK]!.push(e.nodes[2 * k]!);
  }
  const lists = perFeature.map((l) => [...new Set(l)].sort((a, b) => a - b));
  let n = 0;
  for (let f = 0; f < nF; f++) {
    e.splitStart[f] = n;
    n += lists[f]!.length;
  }
  e.splitStart[nF] = n;
  e.splitValues = Float64Array.from(lists.flat());
  for (let k = 0; k < total; k++) {
    if (e.words[4 * k + 3] === k) {
      e.rank[k] = 1 << 30;
      continue;
    }
    const f = e.words[4 * k + 2]! & FEATURE_MASK;
    e.rank[k] = lists[f]!.indexOf(e.nodes[2 * k]!);
  }
}

/**
 * Margin of one row read from `x[base .. base + nFeatures)`; NaN is missing.
 *
 * A row without missing values is first turned into threshold ranks (one binary search
 * per feature); the walk then compares integers with arithmetic instead of branching on
 * float comparisons, which a CPU mispredicts about half the time. x >= threshold i of its
 * feature exactly when the row's rank (the number of that feature's thresholds <= x)
 * exceeds i.
 */
export function marginOfRow(e: FlatEnsemble, x: ArrayLike<number>, base = 0): number {
  let row: ArrayLike<number> = x;
  let b = base;
  if (e.float32Inputs) {
    // XGBoost compares float32 values; round once per row rather than per node.
    const s = e.scratch;
    for (let f = 0; f < s.length; f++) s[f] = Math.fround(x[base + f]!);
    row = s;
    b = 0;
  }
  const complete = rankRow(e.splitValues, e.splitStart, row, b, e.rowRank);
  if (e.packed) return e.baseMargin + sumLeavesPacked(e.roots, e.depth, e.packed, e.value, e.rowRank);
  if (complete) return e.baseMargin + sumLeavesRanked(e.roots, e.depth, e.words, e.rank, e.value, e.rowRank);
  return e.baseMargin + sumLeaves(e.roots, e.depth, e.nodes, e.words, e.value, row, b);
}

/** Threshold rank of each feature of a row (-1 when missing); false when a value is missing. */
function rankRow(splitValues: Float64Array, splitStart: Int32Array, x: ArrayLike<number>, base: number, out: Int32Array): boolean {
  let complete = true;
  for (let f = 0; f < out.length; f++) {
    const v = x[base + f]!;
    if (v !== v) {
      out[f] = -1;
      complete = false;
      continue;
    }
    const start = splitStart[f]!;
    let lo = start;
    let hi = splitStart[f + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (splitValues[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    out[f] = lo - start;
  }
  return complete;
}

/** One step down a packed tree from node n: to its left child, or the right one (left + 1). */
const stepPacked = (packed: Int32Array, rowRank: Int32Array, n: number): number => {
  const w = packed[2 * n + 1]!;
  const r = rowRank[w & 1023]!;
  // (rank - rowRank) >>> 31 is 1 exactly when the row's rank exceeds the node's: go right.
  // A missing value (rank -1) takes the node's default direction, bit 31.
  return packed[2 * n]! + (r < 0 ? w >>> 31 : (((w >>> 10) & PACK_RANK_MASK) - r) >>> 31);
};

/**
 * Eight trees are walked side by side (a 200-tree model's nodes are more than a core's
 * nearest caches hold, so a walk mostly waits on memory: eight walks keep twice the reads in
 * flight of four), and their leaves summed four at a time, in tree order, exactly as four
 * side by side summed them: the margin is the same to the bit.
 */
function sumLeavesPacked(roots: Int32Array, depth: Int32Array, packed: Int32Array, value: Float64Array, rowRank: Int32Array): number {
  let sum = 0;
  const nTrees = roots.length;
  let t = 0;
  for (; t + 8 <= nTrees; t += 8) {
    let n0 = roots[t]!;
    let n1 = roots[t + 1]!;
    let n2 = roots[t + 2]!;
    let n3 = roots[t + 3]!;
    let n4 = roots[t + 4]!;
    let n5 = roots[t + 5]!;
    let n6 = roots[t + 6]!;
    let n7 = roots[t + 7]!;
    const d = Math.max(depth[t]!, depth[t + 1]!, depth[t + 2]!, depth[t + 3]!, depth[t + 4]!, depth[t + 5]!, depth[t + 6]!, depth[t + 7]!);
    for (let s = 0; s < d; s++) {
      n0 = stepPacked(packed, rowRank, n0);
      n1 = stepPacked(packed, rowRank, n1);
      n2 = stepPacked(packed, rowRank, n2);
      n3 = stepPacked(packed, rowRank, n3);
      n4 = stepPacked(packed, rowRank, n4);
      n5 = stepPacked(packed, rowRank, n5);
      n6 = stepPacked(packed, rowRank, n6);
      n7 = stepPacked(packed, rowRank, n7);
    }
    sum += value[n0]! + value[n1]! + value[n2]! + value[n3]!;
    sum += value[n4]! + value[n5]! + value[n6]! + value[n7]!;
  }
  for (; t + 4 <= nTrees; t += 4) {
    let n0 = roots[t]!;
    let n1 = roots[t + 1]!;
    let n2 = roots[t + 2]!;
    let n3 = roots[t + 3]!;
    const d = Math.max(depth[t]!, depth[t + 1]!, depth[t + 2]!, depth[t + 3]!);
    for (let s = 0; s < d; s++) {
      const w0 = packed[2 * n0 + 1]!;
      const w1 = packed[2 * n1 + 1]!;
      const w2 = packed[2 * n2 + 1]!;
      const w3 = packed[2 * n3 + 1]!;
      const r0 = rowRank[w0 & 1023]!;
      const r1 = rowRank[w1 & 1023]!;
      const r2 = rowRank[w2 & 1023]!;
      const r3 = rowRank[w3 & 1023]!;
      // (rank - rowRank) >>> 31 is 1 exactly when the row's rank exceeds the node's: go right.
      // A missing value (rank -1) takes the node's default direction, bit 31.
      n0 = packed[2 * n0]! + (r0 < 0 ? w0 >>> 31 : ((((w0 >>> 10) & PACK_RANK_MASK) - r0) >>> 31));
      n1 = packed[2 * n1]! + (r1 < 0 ? w1 >>> 31 : ((((w1 >>> 10) & PACK_RANK_MASK) - r1) >>> 31));
      n2 = packed[2 * n2]! + (r2 < 0 ? w2 >>> 31 : ((((w2 >>> 10) & PACK_RANK_MASK) - r2) >>> 31));
      n3 = packed[2 * n3]! + (r3 < 0 ? w3 >>> 31 : ((((w3 >>> 10) & PACK_RANK_MASK) - r3) >>> 31));
    }
    sum += value[n0]! + value[n1]! + value[n2]! + value[n3]!;
  }
  for (; t < nTrees; t++) {
    let n = roots[t]!;
    for (let s = depth[t]!; s > 0; s--) {
      const w = packed[2 * n + 1]!;
      const r = rowRank[w & 1023]!;
      n = packed[2 * n]! + (r < 0 ? w >>> 31 : ((((w >>> 10) & PACK_RANK_MASK) - r) >>> 31));
    }
    sum += value[n]!;
  }
  return sum;
}

function sumLeavesRanked(roots: Int32Array, depth: Int32Array, words: Int32Array, rank: Int32Array, value: Float64Array, rowRank: Int32Array): number {
  let sum = 0;
  const nTrees = roots.length;
  let t = 0;
  for (; t + 4 <= nTrees; t += 4) {
    let n0 = roots[t]!;
    let n1 = roots[t + 1]!;
    let n2 = roots[t + 2]!;
    let n3 = roots[t + 3]!;
    const d = Math.max(depth[t]!, depth[t + 1]!, depth[t + 2]!, depth[t + 3]!);
    for (let s = 0; s < d; s++) {
      // (i - rank) >>> 31 is 1 exactly when rank > i: go right.
      n0 = words[4 * n0 + 3]! + ((rank[n0]! - rowRank[words[4 * n0 + 2]! & FEATURE_MASK]!) >>> 31);
      n1 = words[4 * n1 + 3]! + ((rank[n1]! - rowRank[words[4 * n1 + 2]! & FEATURE_MASK]!) >>> 31);
      n2 = words[4 * n2 + 3]! + ((rank[n2]! - rowRank[words[4 * n2 + 2]! & FEATURE_MASK]!) >>> 31);
      n3 = words[4 * n3 + 3]! + ((rank[n3]! - rowRank[words[4 * n3 + 2]! & FEATURE_MASK]!) >>> 31);
    }
    sum += value[n0]! + value[n1]! + value[n2]! + value[n3]!;
  }
  for (; t < nTrees; t++) {
    let n = roots[t]!;
    for (let s = depth[t]!; s > 0; s--) n = words[4 * n + 3]! + ((rank[n]! - rowRank[words[4 * n + 2]! & FEATURE_MASK]!) >>> 31);
    sum += value[n]!;
  }
  return sum;
}

function sumLeaves(
  roots: Int32Array,
  depth: Int32Array,
  nodes: Float64Array,
  words: Int32Array,
  value: Float64Array,
  x: ArrayLike<number>,
  base: number,
): number {
  let sum = 0;
  const nTrees = roots.length;
  let t = 0;
  for (; t + 4 <= nTrees; t += 4) {
    let n0 = roots[t]!;
    let n1 = roots[t + 1]!;
    let n2 = roots[t + 2]!;
    let n3 = roots[t + 3]!;
    const d = Math.max(depth[t]!, depth[t + 1]!, depth[t + 2]!, depth[t + 3]!);
    for (let s = 0; s < d; s++) {
      const w0 = words[4 * n0 + 2]!;
      const w1 = words[4 * n1 + 2]!;
      const w2 = words[4 * n2 + 2]!;
      const w3 = words[4 * n3 + 2]!;
      const v0 = x[base + (w0 & FEATURE_MASK)]!;
      const v1 = x[base + (w1 & FEATURE_MASK)]!;
      const v2 = x[base + (w2 & FEATURE_MASK)]!;
      const v3 = x[base + (w3 & FEATURE_MASK)]!;
      n0 = words[4 * n0 + 3]! + (v0 !== v0 ? w0 >>> 30 : v0 >= nodes[2 * n0]! ? 1 : 0);
      n1 = words[4 * n1 + 3]! + (v1 !== v1 ? w1 >>> 30 : v1 >= nodes[2 * n1]! ? 1 : 0);
      n2 = words[4 * n2 + 3]! + (v2 !== v2 ? w2 >>> 30 : v2 >= nodes[2 * n2]! ? 1 : 0);
      n3 = words[4 * n3 + 3]! + (v3 !== v3 ? w3 >>> 30 : v3 >= nodes[2 * n3]! ? 1 : 0);
    }
    sum += value[n0]! + value[n1]! + value[n2]! + value[n3]!;
  }
  for (; t < nTrees; t++) {
    let n = roots[t]!;
    for (let s = depth[t]!; s > 0; s--) {
      const w = words[4 * n + 2]!;
      const v = x[base + (w & FEATURE_MASK)]!;
      n = words[4 * n + 3]! + (v !== v ? w >>> 30 : v >= nodes[2 * n]! ? 1 : 0);
    }
    sum += value[n]!;
  }
  return sum;
}

/** Margins of every row of a matrix. */
export function marginBatch(e: FlatEnsemble, m: FeatureMatrix): Float64Array {
  if (m.nFeatures !== e.nFeatures) {
    throw new ValidationError([{ field: 'features', rule: 'width', message: `the model expects ${e.nFeatures} features, got ${m.nFeatures}` }]);
  }
  const out = new Float64Array(m.nRows);
  for (let r = 0; r < m.nRows; r++) out[r] = marginOfRow(e, m.values, r * m.nFeatures);
  return out;
}

/** Predictions (probabilities for log loss, means for regression) of every row. */
export function predictBatch(model: GbdtModel, m: FeatureMatrix, e: FlatEnsemble = flatten(model)): Float64Array {
  const margins = marginBatch(e, m);
  const transform = objectiveFor(model.objective).transform;
  for (let i = 0; i < margins.length; i++) margins[i] = transform(margins[i]!);
  return margins;
}

/** A scorer for one customer at a time: `score(row)` returns the prediction of a feature vector. */
export function rowScorer(model: GbdtModel): { margin(x: ArrayLike<number>): number; score(x: ArrayLike<number>): number } {
  const e = flatten(model);
  const transform = objectiveFor(model.objective).transform;
  return {
    margin: (x) => marginOfRow(e, x, 0),
    score: (x) => transform(marginOfRow(e, x, 0)),
  };
}
