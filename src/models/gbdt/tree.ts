/**
 * One regression tree as flat typed arrays, node 0 the root. A row goes left when
 * `x < threshold`, right when `x >= threshold`, and to the default side when x is missing
 * (NaN) — the same rule as XGBoost, so imported XGBoost trees need no translation.
 */
export interface Tree {
  /** Split feature, or -1 for a leaf. */
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** 1 when missing values go left. */
  defaultLeft: Uint8Array;
  /** Leaf output (already times the learning rate); for internal nodes the weight they would have as a leaf. */
  value: Float64Array;
  /** Sum of hessians of the training rows that reached the node (TreeSHAP's cover). */
  cover: Float64Array;
  /** Loss reduction of the split (0 at leaves); drives gain importance. */
  gain: Float64Array;
}

/** Node arrays under construction. */
export class TreeBuilder {
  feature: number[] = [];
  threshold: number[] = [];
  left: number[] = [];
  right: number[] = [];
  defaultLeft: number[] = [];
  value: number[] = [];
  cover: number[] = [];
  gain: number[] = [];

  /** Adds a leaf and returns its id. */
  addLeaf(value: number, cover: number): number {
    this.feature.push(-1);
    this.threshold.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.defaultLeft.push(0);
    this.value.push(value);
    this.cover.push(cover);
    this.gain.push(0);
    return this.feature.length - 1;
  }

  /** Turns leaf `id` into a split node with the given children. */
  setSplit(id: number, feature: number, threshold: number, defaultLeft: boolean, gain: number, left: number, right: number): void {
    this.feature[id] = feature;
    this.threshold[id] = threshold;
    this.defaultLeft[id] = defaultLeft ? 1 : 0;
    this.gain[id] = gain;
    this.left[id] = left;
    this.right[id] = right;
  }

  /** The finished tree. */
  build(): Tree {
    return {
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      defaultLeft: Uint8Array.from(this.defaultLeft),
      value: Float64Array.from(this.value),
      cover: Float64Array.from(this.cover),
      gain: Float64Array.from(this.gain),
    };
  }
}

/** Leaf reached by one row (row-major values, offset `base`). */
export function leafIndex(t: Tree, x: ArrayLike<number>, base: number): number {
  const { feature, threshold, left, right, defaultLeft } = t;
  let n = 0;
  let f = feature[0]!;
  while (f >= 0) {
    const v = x[base + f]!;
    if (v < threshold[n]!) n = left[n]!;
    else if (v >= threshold[n]!) n = right[n]!;
    else n = defaultLeft[n] ? left[n]! : right[n]!;
    f = feature[n]!;
  }
  return n;
}

/** Depth of the deepest leaf (a lone leaf has depth 0). */
export function treeDepth(t: Tree): number {
  const walk = (n: number): number => (t.feature[n]! < 0 ? 0 : 1 + Math.max(walk(t.left[n]!), walk(t.right[n]!)));
  return walk(0);
}
