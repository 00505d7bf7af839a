/**
 * Gradient histograms: per global bin, the sum of gradients and hessians of a node's rows,
 * interleaved as [g0, h0, g1, h1, ...]. Only the smaller child of a split is built from its
 * rows; the larger is the parent minus the smaller (the subtraction trick), so each level
 * of a tree reads at most half the rows.
 *
 * The loops take every typed array as a parameter: V8 optimises these far better than
 * closures over module-level arrays.
 */

/** Adds the rows `rows[start..end)` of a row-major bin matrix into `hist` (which must start at zero). */
export function buildHistogram(
  bins: Uint16Array | Uint32Array,
  nFeatures: number,
  rows: Uint32Array,
  start: number,
  end: number,
  gradHess: Float64Array,
  hist: Float64Array,
): void {
  for (let i = start; i < end; i++) {
    const r = rows[i]!;
    const g = gradHess[2 * r]!;
    const h = gradHess[2 * r + 1]!;
    const base = r * nFeatures;
    const stop = base + nFeatures;
    for (let k = base; k < stop; k++) {
      const b = bins[k]! << 1;
      hist[b] += g;
      hist[b + 1] += h;
    }
  }
}

/** Builds the histogram of all rows 0..nRows-1 (the root without row sampling): no index indirection. */
export function buildHistogramAllRows(
  bins: Uint16Array | Uint32Array,
  nFeatures: number,
  nRows: number,
  gradHess: Float64Array,
  hist: Float64Array,
): void {
  let k = 0;
  for (let r = 0; r < nRows; r++) {
    const g = gradHess[2 * r]!;
    const h = gradHess[2 * r + 1]!;
    const stop = k + nFeatures;
    for (; k < stop; k++) {
      const b = bins[k]! << 1;
      hist[b] += g;
      hist[b + 1] += h;
    }
  }
}

/** parent -= child, in place: the parent's buffer becomes the sibling's histogram. */
export function subtractHistogram(parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < parent.length; i++) parent[i] -= child[i]!;
}

/** A free list of histogram buffers so a tree does not allocate one per node. */
export class HistogramPool {
  private readonly free: Float64Array[] = [];
  constructor(private readonly size: number) {}

  /** A zeroed buffer. */
  take(): Float64Array {
    const h = this.free.pop();
    if (h) {
      h.fill(0);
      return h;
    }
    return new Float64Array(this.size);
  }

  /** Returns a buffer for reuse. */
  give(h: Float64Array): void {
    this.free.push(h);
  }
}
