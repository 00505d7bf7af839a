/**
 * Grows one tree from histograms supplied by a caller instead of built from rows: the
 * hook federated training uses, where the rows stay with their owners and only summed
 * gradient histograms come back. The growth is `growTree`'s step for step (the same order
 * of nodes, the same split search, the same subtraction trick, the same stopping rules),
 * so with the same bin cuts and the same summed histograms it grows the same tree.
 *
 * A node's row count decides what `growTree` reads from its row ranges (whether a node may
 * split, which child is the smaller); here it comes from a count histogram per node.
 */
import { childBounds, findBestSplit, leafWeight, noSplit, type SplitCandidate } from './split.js';
import { TreeBuilder, type Tree } from './tree.js';
import { bestToHead, type TreeParams } from './treeLearner.js';

/** A split the row owners apply to move their rows from `node` to its children. */
export interface AppliedSplit {
  node: number;
  feature: number;
  /** Local value bin: rows in bins 0..bin go left; -1 = only missing rows go left. */
  bin: number;
  defaultLeft: boolean;
  left: number;
  right: number;
}

/** A node's summed histogram: `gh` interleaved [g0, h0, g1, h1, ...] over global bins, `count` rows per bin. */
export interface NodeHistogram {
  gh: Float64Array;
  count: Float64Array;
}

/**
 * Asks the row owners, after applying `splits` (in order) to their rows, for the summed
 * histograms of `nodes` (one per node, in that order).
 */
export type HistogramSource = (splits: readonly AppliedSplit[], nodes: readonly number[]) => Promise<NodeHistogram[]>;

/** The bins the histograms are over (a BinnedDataset's shape without its rows). */
export interface BinLayout {
  cuts: Float64Array[];
  binOffset: Int32Array;
}

interface OpenNode {
  id: number;
  depth: number;
  g: number;
  h: number;
  n: number;
  lower: number;
  upper: number;
  hist: NodeHistogram | null;
  best: SplitCandidate;
}

interface Pending {
  parent: NodeHistogram;
  small: OpenNode;
  large: OpenNode;
  smallOk: boolean;
  largeOk: boolean;
}

const MIN_GAIN = 1e-6;

/** The bin layout of a set of cuts: each feature's first global bin; one missing bin per feature. */
export function binLayout(cuts: Float64Array[]): BinLayout & { totalBins: number } {
  const binOffset = new Int32Array(cuts.length);
  let total = 0;
  cuts.forEach((c, f) => {
    binOffset[f] = total;
    total += c.length + 1;
  });
  return { cuts, binOffset, totalBins: total };
}

/**
 * Grows a tree whose node histograms come from `source`. Returns the tree and the splits
 * in the order they were made (the row owners replay them to find their rows' leaves).
 */
export async function growTreeFromHistograms(
  layout: BinLayout,
  features: Int32Array,
  monotone: Int8Array | null,
  p: TreeParams,
  source: HistogramSource,
): Promise<{ tree: Tree; splits: AppliedSplit[] }> {
  const { cuts, binOffset } = layout;
  const builder = new TreeBuilder();
  const allSplits: AppliedSplit[] = [];
  let unsent: AppliedSplit[] = [];
  const maxLeaves = p.maxLeaves > 0 ? p.maxLeaves : Infinity;
  const maxDepth = p.maxDepth > 0 ? p.maxDepth : Infinity;
  const threshold = Math.max(MIN_GAIN, p.minSplitGain);
  const canSplit = (n: OpenNode) => n.depth < maxDepth && n.h >= 2 * p.minChildWeight && n.n >= 2;
  const evaluate = (n: OpenNode) => {
    if (n.hist) findBestSplit(n.hist.gh, cuts, binOffset, features, n.g, n.h, p, monotone, n.lower, n.upper, n.best);
  };

  // The root's totals come from its histogram (any one feature's bins, missing included, hold every row).
  const [rootHist] = await source([], [0]);
  const totals = featureTotals(rootHist!, binOffset, cuts, 0);
  const rootId = builder.addLeaf(leafWeight(totals.g, totals.h, p, -Infinity, Infinity) * p.learningRate, totals.h);
  const root: OpenNode = { id: rootId, depth: 0, g: totals.g, h: totals.h, n: totals.n, lower: -Infinity, upper: Infinity, hist: null, best: noSplit() };
  if (canSplit(root) && maxLeaves > 1) {
    root.hist = rootHist!;
    evaluate(root);
  }
  const open: OpenNode[] = [root];
  const pending: Pending[] = [];
  const isPending = (n: OpenNode) => pending.some((q) => q.small === n || q.large === n);
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending.splice(0, pending.length);
    const hists = await source(unsent, batch.map((q) => q.small.id));
    unsent = [];
    batch.forEach((q, i) => {
      const small = hists[i]!;
      const parent = q.parent;
      for (let k = 0; k < parent.gh.length; k++) parent.gh[k] -= small.gh[k]!;
      for (let k = 0; k < parent.count.length; k++) parent.count[k] -= small.count[k]!;
      q.small.hist = q.smallOk ? small : null;
      q.large.hist = q.largeOk ? parent : null;
      evaluate(q.small);
      evaluate(q.large);
    });
  };

  let head = 0;
  let leaves = 1;
  while (head < open.length) {
    let node: OpenNode;
    if (p.growPolicy === 'lossguide') {
      await flush();
      node = bestToHead(open, head);
    } else {
      node = open[head]!;
      if (isPending(node)) await flush();
    }
    head++;
    const best = node.best;
    if (!(best.gain > threshold) || leaves >= maxLeaves || !node.hist) {
      node.hist = null;
      continue;
    }
    const f = best.feature;
    const lw = leafWeight(best.leftG, best.leftH, p, node.lower, node.upper);
    const rw = leafWeight(best.rightG, best.rightH, p, node.lower, node.upper);
    const bounds = childBounds(monotone ? monotone[f]! : 0, node.lower, node.upper, lw, rw);
    const leftId = builder.addLeaf(lw * p.learningRate, best.leftH);
    const rightId = builder.addLeaf(rw * p.learningRate, best.rightH);
    builder.setSplit(node.id, f, best.bin >= 0 ? cuts[f]![best.bin]! : -Number.MAX_VALUE, best.defaultLeft, best.gain, leftId, rightId);
    const split: AppliedSplit = { node: node.id, feature: f, bin: best.bin, defaultLeft: best.defaultLeft, left: leftId, right: rightId };
    allSplits.push(split);
    unsent.push(split);
    leaves++;
    const nLeft = leftCount(node.hist.count, binOffset[f]!, cuts[f]!.length, best.bin, best.defaultLeft);
    const depth = node.depth + 1;
    const left: OpenNode = { id: leftId, depth, g: best.leftG, h: best.leftH, n: nLeft, lower: bounds.left[0], upper: bounds.left[1], hist: null, best: noSplit() };
    const right: OpenNode = { id: rightId, depth, g: best.rightG, h: best.rightH, n: node.n - nLeft, lower: bounds.right[0], upper: bounds.right[1], hist: null, best: noSplit() };
    const lOk = canSplit(left) && leaves < maxLeaves;
    const rOk = canSplit(right) && leaves < maxLeaves;
    if (lOk || rOk) {
      const leftSmaller = left.n <= right.n;
      pending.push({ parent: node.hist, small: leftSmaller ? left : right, large: leftSmaller ? right : left, smallOk: leftSmaller ? lOk : rOk, largeOk: leftSmaller ? rOk : lOk });
    }
    node.hist = null;
    open.push(left, right);
  }
  return { tree: builder.build(), splits: allSplits };
}

/** Sums of gradient, hessian and rows over one feature's bins (the node's totals). */
function featureTotals(hist: NodeHistogram, binOffset: Int32Array, cuts: Float64Array[], f: number): { g: number; h: number; n: number } {
  let g = 0;
  let h = 0;
  let n = 0;
  const lo = binOffset[f]!;
  for (let b = lo; b <= lo + cuts[f]!.length; b++) {
    g += hist.gh[2 * b]!;
    h += hist.gh[2 * b + 1]!;
    n += hist.count[b]!;
  }
  return { g, h, n: Math.round(n) };
}

/** Rows a split sends left: value bins 0..bin, plus the missing bin when missing rows go left. */
function leftCount(count: Float64Array, offset: number, nValueBins: number, bin: number, defaultLeft: boolean): number {
  let n = 0;
  for (let b = 0; b <= bin; b++) n += count[offset + b]!;
  if (defaultLeft) n += count[offset + nValueBins]!;
  return Math.round(n);
}

/** Moves rows from a split node to its children: the row owners' side of `AppliedSplit`. */
export function applySplit(
  split: AppliedSplit,
  layout: BinLayout,
  binOfCell: (row: number, feature: number) => number,
  rowsOfNode: Map<number, number[]>,
): void {
  const rows = rowsOfNode.get(split.node) ?? [];
  const missing = layout.cuts[split.feature]!.length;
  const left: number[] = [];
  const right: number[] = [];
  for (const r of rows) {
    const b = binOfCell(r, split.feature);
    const goLeft = b === missing ? split.defaultLeft : b <= split.bin;
    (goLeft ? left : right).push(r);
  }
  rowsOfNode.delete(split.node);
  rowsOfNode.set(split.left, left);
  rowsOfNode.set(split.right, right);
}
