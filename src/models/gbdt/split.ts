/**
 * Split finding over a node's histogram, with XGBoost's regularised gain
 * (L1 `alpha`, L2 `lambda`, `minChildWeight`, `maxDeltaStep`) and a learned default
 * direction for missing values: every cut is tried with the missing rows sent right
 * and, when the node has missing rows, sent left.
 *
 * Monotone constraints follow XGBoost's bound propagation: a node's weight is clipped to
 * [lower, upper] inherited from its ancestors, a split whose child weights break the
 * feature's direction is rejected, and the children's bounds meet at the midpoint of
 * their weights (see `childBounds`).
 */

/** The regularisation that shapes gains and leaf weights. */
export interface SplitParams {
  lambda: number;
  alpha: number;
  minChildWeight: number;
  /** 0 = no limit on a leaf's step. */
  maxDeltaStep: number;
}

/** The best split of a node, or gain = -Infinity when there is none. */
export interface SplitCandidate {
  gain: number;
  feature: number;
  /** Local value bin: rows in bins 0..bin go left; -1 = only missing rows go left. */
  bin: number;
  defaultLeft: boolean;
  leftG: number;
  leftH: number;
  rightG: number;
  rightH: number;
}

/** An empty candidate. */
export function noSplit(): SplitCandidate {
  return { gain: -Infinity, feature: -1, bin: -1, defaultLeft: false, leftG: 0, leftH: 0, rightG: 0, rightH: 0 };
}

const f32 = Math.fround;

function thresholdL1(g: number, alpha: number): number {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0;
}

/** Optimal leaf weight -T(G)/(H+lambda), limited by maxDeltaStep and clipped to [lower, upper]. */
export function leafWeight(g: number, h: number, p: SplitParams, lower: number, upper: number): number {
  if (h < p.minChildWeight || h <= 0) return 0;
  let w = -thresholdL1(g, p.alpha) / (h + p.lambda);
  if (p.maxDeltaStep > 0) {
    if (w > p.maxDeltaStep) w = p.maxDeltaStep;
    else if (w < -p.maxDeltaStep) w = -p.maxDeltaStep;
  }
  if (w < lower) w = lower;
  else if (w > upper) w = upper;
  return w;
}

/** Loss reduction of a node with weight w (twice the usual 1/2 form, as XGBoost reports it). */
export function gainGivenWeight(g: number, h: number, w: number, p: SplitParams): number {
  return -(2 * thresholdL1(g, p.alpha) * w + (h + p.lambda) * w * w);
}

/** A node's own gain; unconstrained nodes use the closed form T(G)^2 / (H + lambda). */
export function nodeGain(g: number, h: number, p: SplitParams, lower: number, upper: number, constrained: boolean): number {
  if (h < p.minChildWeight || h <= 0) return 0;
  if (!constrained && p.maxDeltaStep === 0) {
    const t = thresholdL1(g, p.alpha);
    return (t * t) / (h + p.lambda);
  }
  return gainGivenWeight(g, h, leafWeight(g, h, p, lower, upper), p);
}

/** Bounds of the two children after a split on a feature with the given monotone direction. */
export function childBounds(
  direction: number,
  lower: number,
  upper: number,
  leftWeight: number,
  rightWeight: number,
): { left: [number, number]; right: [number, number] } {
  if (direction === 0) return { left: [lower, upper], right: [lower, upper] };
  const mid = (leftWeight + rightWeight) / 2;
  return direction > 0 ? { left: [lower, mid], right: [mid, upper] } : { left: [mid, upper], right: [lower, mid] };
}

/**
 * Scans the histogram of a node for the split with the largest gain over its own gain.
 * `features` lists the columns this tree may use; `monotone` is null when unconstrained.
 */
export function findBestSplit(
  hist: Float64Array,
  cuts: Float64Array[],
  binOffset: Int32Array,
  features: Int32Array,
  nodeG: number,
  nodeH: number,
  p: SplitParams,
  monotone: Int8Array | null,
  lower: number,
  upper: number,
  best: SplitCandidate,
): void {
  const constrained = monotone !== null;
  // Gains are compared in float32 with "strictly greater wins", in XGBoost's order (features
  // ascending; per feature a forward pass with missing rows right, then a backward pass with
  // them left): equal splits (empty bins between two cuts, complementary one-hot columns)
  // then resolve as XGBoost resolves them, and the trees stay the same.
  const parentGain = f32(nodeGain(nodeG, nodeH, p, lower, upper, constrained));
  const mcw = p.minChildWeight;
  best.gain = -Infinity;
  best.feature = -1;
  for (let fi = 0; fi < features.length; fi++) {
    const f = features[fi]!;
    const nb = cuts[f]!.length;
    const off = binOffset[f]!;
    const mb = (off + nb) << 1;
    const hm = hist[mb + 1]!;
    // Subtracted histograms leave rounding residue in empty missing bins; ignore it.
    const hasMissing = hm > 1e-12 * (nodeH > 1 ? nodeH : 1);
    const dir = constrained ? monotone[f]! : 0;
    // Forward: bins 0..b left, missing rows right.
    let gl = 0;
    let hl = 0;
    for (let b = 0; b < nb; b++) {
      const k = (off + b) << 1;
      gl += hist[k]!;
      hl += hist[k + 1]!;
      const gr = nodeG - gl;
      const hr = nodeH - hl;
      if (hl >= mcw && hr >= mcw) {
        const gain = f32(splitGain(gl, hl, gr, hr, p, lower, upper, constrained, dir) - parentGain);
        if (gain > best.gain) setBest(best, gain, f, b, false, gl, hl, gr, hr);
      }
    }
    if (!hasMissing) continue;
    // Backward: bins b+1.. right, bins 0..b and missing rows left; b = -1 sends only the
    // missing rows left.
    let gr = 0;
    let hr = 0;
    for (let b = nb - 2; b >= -1; b--) {
      const k = (off + b + 1) << 1;
      gr += hist[k]!;
      hr += hist[k + 1]!;
      const gl2 = nodeG - gr;
      const hl2 = nodeH - hr;
      if (hl2 >= mcw && hr >= mcw) {
        const gain = f32(splitGain(gl2, hl2, gr, hr, p, lower, upper, constrained, dir) - parentGain);
        if (gain > best.gain) setBest(best, gain, f, b, true, gl2, hl2, gr, hr);
      }
    }
  }
}

function splitGain(
  gl: number,
  hl: number,
  gr: number,
  hr: number,
  p: SplitParams,
  lower: number,
  upper: number,
  constrained: boolean,
  dir: number,
): number {
  if (!constrained && p.maxDeltaStep === 0) {
    const tl = thresholdL1(gl, p.alpha);
    const tr = thresholdL1(gr, p.alpha);
    return f32(f32((tl * tl) / (hl + p.lambda)) + f32((tr * tr) / (hr + p.lambda)));
  }
  const wl = leafWeight(gl, hl, p, lower, upper);
  const wr = leafWeight(gr, hr, p, lower, upper);
  if ((dir > 0 && wl > wr) || (dir < 0 && wl < wr)) return -Infinity;
  return gainGivenWeight(gl, hl, wl, p) + gainGivenWeight(gr, hr, wr, p);
}

function setBest(
  best: SplitCandidate,
  gain: number,
  f: number,
  b: number,
  defaultLeft: boolean,
  gl: number,
  hl: number,
  gr: number,
  hr: number,
): void {
  best.gain = gain;
  best.feature = f;
  best.bin = b;
  best.defaultLeft = defaultLeft;
  best.leftG = gl;
  best.leftH = hl;
  best.rightG = gr;
  best.rightH = hr;
}
