/**
 * Grows one tree on binned data: depth-wise (level by level, as XGBoost's default) or
 * leaf-wise (always the leaf with the largest gain, as LightGBM), limited by `maxDepth`
 * and `maxLeaves`. Rows are partitioned in place per node; each split builds the smaller
 * child's histogram and derives the larger by subtraction; children that can no longer
 * split get no histogram at all.
 */
import type { BinnedDataset } from './dataset.js';
import { buildHistogram, buildHistogramAllRows, buildSparseHistogram, HistogramPool, subtractHistogram } from './histogram.js';
import { childBounds, findBestSplit, leafWeight, noSplit, type SplitCandidate, type SplitParams } from './split.js';
import { TreeBuilder, type Tree } from './tree.js';

/** Parameters of one tree. */
export interface TreeParams extends SplitParams {
  learningRate: number;
  /** 0 = no depth limit. */
  maxDepth: number;
  /** 0 = no leaf limit. */
  maxLeaves: number;
  growPolicy: 'depthwise' | 'lossguide';
  /** A split must reduce the loss by more than this (XGBoost's gamma). */
  minSplitGain: number;
}

/**
 * Leaf-wise growth's next node: the open node from `head` on with the largest gain (the
 * first on ties), swapped to `head`. Shared with growTreeFromHistograms so both grow alike.
 */
export function bestToHead<T extends { best: SplitCandidate }>(open: T[], head: number): T {
  let bi = head;
  for (let i = head + 1; i < open.length; i++) if (open[i]!.best.gain > open[bi]!.best.gain) bi = i;
  const node = open[bi]!;
  open[bi] = open[head]!;
  open[head] = node;
  return node;
}

/** A grown tree and where its training rows ended up. */
export interface GrownTree {
  tree: Tree;
  /** Global bin of each split (rows with bin <= it, other than missing, go left); -1 at leaves. */
  splitBin: Int32Array;
  /** Triplets (start, end, leaf node) over the `rows` array passed in. */
  leafRanges: number[];
}

interface OpenNode {
  id: number;
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  lower: number;
  upper: number;
  hist: Float64Array | null;
  best: SplitCandidate;
}

// XGBoost's kRtEps: splits that gain less than this are noise.
const MIN_GAIN = 1e-6;

/**
 * Grows a tree over `rows[0..nRows)` (row ids, reordered in place). `allRows` says the rows
 * are exactly 0..nRows-1 in order, which lets the root histogram skip the index lookup.
 */
export function growTree(
  data: BinnedDataset,
  gradHess: Float64Array,
  rows: Uint32Array,
  nRows: number,
  allRows: boolean,
  features: Int32Array,
  monotone: Int8Array | null,
  p: TreeParams,
  pool: HistogramPool,
  scratch: Uint32Array,
): GrownTree {
  const { bins, nFeatures, cuts, binOffset } = data;
  const builder = new TreeBuilder();
  const splitBin: number[] = [];
  const leafRanges: number[] = [];
  let g = 0;
  let h = 0;
  for (let i = 0; i < nRows; i++) {
    const r = rows[i]!;
    g += gradHess[2 * r]!;
    h += gradHess[2 * r + 1]!;
  }
  const rootWeight = leafWeight(g, h, p, -Infinity, Infinity);
  const rootId = builder.addLeaf(rootWeight * p.learningRate, h);
  splitBin.push(-1);
  const maxLeaves = p.maxLeaves > 0 ? p.maxLeaves : Infinity;
  const maxDepth = p.maxDepth > 0 ? p.maxDepth : Infinity;
  const threshold = Math.max(MIN_GAIN, p.minSplitGain);

  const canSplit = (n: OpenNode) => n.depth < maxDepth && n.h >= 2 * p.minChildWeight && n.end - n.start >= 2;
  const evaluate = (n: OpenNode) => {
    if (n.hist) findBestSplit(n.hist, cuts, binOffset, features, n.g, n.h, p, monotone, n.lower, n.upper, n.best);
  };

  const root: OpenNode = { id: rootId, start: 0, end: nRows, depth: 0, g, h, lower: -Infinity, upper: Infinity, hist: null, best: noSplit() };
  if (canSplit(root) && maxLeaves > 1) {
    root.hist = pool.take();
    if (data.sparse) fillSparse(data, rows, 0, nRows, gradHess, g, h, root.hist);
    else if (allRows) buildHistogramAllRows(bins, nFeatures, nRows, gradHess, root.hist);
    else buildHistogram(bins, nFeatures, rows, 0, nRows, gradHess, root.hist);
    evaluate(root);
  }
  const open: OpenNode[] = [root];
  let head = 0;
  let leaves = 1;
  while (head < open.length) {
    let node: OpenNode;
    if (p.growPolicy === 'lossguide') {
      node = bestToHead(open, head);
    } else {
      node = open[head]!;
    }
    head++;
    const best = node.best;
    if (!(best.gain > threshold) || leaves >= maxLeaves || !node.hist) {
      if (node.hist) pool.give(node.hist);
      leafRanges.push(node.start, node.end, node.id);
      continue;
    }
    // Partition rows: left ones keep their order at the front, right ones follow.
    const f = best.feature;
    const gBin = binOffset[f]! + best.bin;
    const missingBin = binOffset[f]! + cuts[f]!.length;
    const mid = partition(data.columns, f * data.nRows, gBin, missingBin, best.defaultLeft, rows, node.start, node.end, scratch);
    const lw = leafWeight(best.leftG, best.leftH, p, node.lower, node.upper);
    const rw = leafWeight(best.rightG, best.rightH, p, node.lower, node.upper);
    const bounds = childBounds(monotone ? monotone[f]! : 0, node.lower, node.upper, lw, rw);
    const leftId = builder.addLeaf(lw * p.learningRate, best.leftH);
    const rightId = builder.addLeaf(rw * p.learningRate, best.rightH);
    splitBin.push(-1, -1);
    // Bin -1 (only missing rows left): a threshold below every value.
    builder.setSplit(node.id, f, best.bin >= 0 ? cuts[f]![best.bin]! : -Number.MAX_VALUE, best.defaultLeft, best.gain, leftId, rightId);
    splitBin[node.id] = gBin;
    leaves++;
    const depth = node.depth + 1;
    const left: OpenNode = { id: leftId, start: node.start, end: mid, depth, g: best.leftG, h: best.leftH, lower: bounds.left[0], upper: bounds.left[1], hist: null, best: noSplit() };
    const right: OpenNode = { id: rightId, start: mid, end: node.end, depth, g: best.rightG, h: best.rightH, lower: bounds.right[0], upper: bounds.right[1], hist: null, best: noSplit() };
    const lOk = canSplit(left) && leaves < maxLeaves;
    const rOk = canSplit(right) && leaves < maxLeaves;
    if (lOk || rOk) {
      const leftSmaller = mid - node.start <= node.end - mid;
      const small = leftSmaller ? left : right;
      const large = leftSmaller ? right : left;
      const smallHist = pool.take();
      if (data.sparse) fillSparse(data, rows, small.start, small.end, gradHess, small.g, small.h, smallHist);
      else buildHistogram(bins, nFeatures, rows, small.start, small.end, gradHess, smallHist);
      subtractHistogram(node.hist, smallHist);
      small.hist = smallHist;
      large.hist = node.hist;
      if (!(leftSmaller ? lOk : rOk)) {
        pool.give(small.hist);
        small.hist = null;
      }
      if (!(leftSmaller ? rOk : lOk)) {
        pool.give(large.hist);
        large.hist = null;
      }
    } else {
      pool.give(node.hist);
    }
    node.hist = null;
    evaluate(left);
    evaluate(right);
    open.push(left, right);
  }
  return { tree: builder.build(), splitBin: Int32Array.from(splitBin), leafRanges };
}

function fillSparse(data: BinnedDataset, rows: Uint32Array, start: number, end: number, gradHess: Float64Array, g: number, h: number, hist: Float64Array): void {
  const s = data.sparse!;
  buildSparseHistogram(s.rowStart, s.bins, s.frequentBin, data.binOffset, data.totalBins, rows, start, end, gradHess, g, h, hist);
}

/**
 * Stable in-place partition of rows[start..end); returns where the right child starts.
 * Branch-free: which side a row takes is close to a coin flip, so a branch would be
 * mispredicted half the time; each row is written to both sides and only the counter moves.
 */
function partition(
  columns: Uint16Array | Uint32Array,
  colStart: number,
  gBin: number,
  missingBin: number,
  defaultLeft: boolean,
  rows: Uint32Array,
  start: number,
  end: number,
  scratch: Uint32Array,
): number {
  let nl = start;
  let nr = 0;
  // The missing bin is the feature's last, so "missing" is b > missingBin - 1.
  const dl = defaultLeft ? 1 : 0;
  const lastValueBin = missingBin - 1;
  for (let i = start; i < end; i++) {
    const r = rows[i]!;
    const b = columns[colStart + r]!;
    const left = (1 - ((gBin - b) >>> 31)) | (dl & ((lastValueBin - b) >>> 31));
    rows[nl] = r;
    scratch[nr] = r;
    nl += left;
    nr += 1 - left;
  }
  for (let i = 0; i < nr; i++) rows[nl + i] = scratch[i]!;
  return nl;
}

/** Leaf reached by a training row, following the split bins (for rows left out by subsampling). */
export function leafOfBinnedRow(t: Tree, splitBin: Int32Array, data: BinnedDataset, row: number): number {
  const { bins, nFeatures, binOffset, cuts } = data;
  let n = 0;
  let f = t.feature[0]!;
  while (f >= 0) {
    const b = bins[row * nFeatures + f]!;
    const missing = binOffset[f]! + cuts[f]!.length;
    n = (b === missing ? t.defaultLeft[n] === 1 : b <= splitBin[n]!) ? t.left[n]! : t.right[n]!;
    f = t.feature[n]!;
  }
  return n;
}
