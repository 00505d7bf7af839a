/**
 * XGBoost's weighted quantile sketch (Chen & Guestrin 2016, appendix; `common/quantile.h`
 * and `SketchContainerImpl::MakeCuts` in XGBoost 1.7), used to place bin cuts the way
 * XGBoost's `hist` does. The test AUC of a deep, over-fitted ensemble moves by thousandths
 * with where the cuts of a many-valued feature fall, so "the i/maxBin quantiles" is not
 * enough to train the same trees as XGBoost: this reproduces its summary, prune and merge
 * steps, in float32 arithmetic as XGBoost computes them (RType = float).
 *
 * Values are sketched as float32 (XGBoost's feature type); each cut is then mapped back to
 * the smallest training value (float64) that rounds to it, so binning a float64 value with
 * `x < cut` puts every training row in the bin XGBoost puts it in.
 */

const f32 = Math.fround;
/** XGBoost's `WQuantileSketch::kFactor`: the sketch keeps 8 entries per requested bin. */
const K_FACTOR = 8;

/** A weighted quantile summary: per distinct value, its rank bounds and own weight. */
class Summary {
  rmin: Float32Array;
  rmax: Float32Array;
  wmin: Float32Array;
  value: Float32Array;
  size = 0;

  constructor(capacity: number) {
    this.rmin = new Float32Array(capacity);
    this.rmax = new Float32Array(capacity);
    this.wmin = new Float32Array(capacity);
    this.value = new Float32Array(capacity);
  }

  reserve(capacity: number): void {
    if (this.value.length >= capacity) return;
    const grow = (a: Float32Array): Float32Array => {
      const b = new Float32Array(capacity);
      b.set(a.subarray(0, this.size));
      return b;
    };
    this.rmin = grow(this.rmin);
    this.rmax = grow(this.rmax);
    this.wmin = grow(this.wmin);
    this.value = grow(this.value);
  }

  copyFrom(src: Summary): void {
    this.reserve(src.size);
    this.rmin.set(src.rmin.subarray(0, src.size));
    this.rmax.set(src.rmax.subarray(0, src.size));
    this.wmin.set(src.wmin.subarray(0, src.size));
    this.value.set(src.value.subarray(0, src.size));
    this.size = src.size;
  }

  private put(k: number, src: Summary, i: number): void {
    this.rmin[k] = src.rmin[i]!;
    this.rmax[k] = src.rmax[i]!;
    this.wmin[k] = src.wmin[i]!;
    this.value[k] = src.value[i]!;
  }

  private entry(k: number, rmin: number, rmax: number, wmin: number, value: number): void {
    this.rmin[k] = rmin;
    this.rmax[k] = rmax;
    this.wmin[k] = wmin;
    this.value[k] = value;
  }

  /** `WQSummary::SetPrune`: keep at most `maxSize` entries at evenly spaced ranks. */
  setPrune(src: Summary, maxSize: number): void {
    if (src.size <= maxSize) {
      this.copyFrom(src);
      return;
    }
    this.reserve(maxSize);
    const last = src.size - 1;
    const begin = src.rmax[0]!;
    const range = f32(src.rmin[last]! - begin);
    const n = maxSize - 1;
    this.put(0, src, 0);
    let size = 1;
    let i = 1;
    let lastIdx = 0;
    for (let k = 1; k < n; k++) {
      const dx2 = f32(2 * f32(f32(f32(k * range) / n) + begin));
      while (i < last && dx2 >= f32(src.rmax[i + 1]! + src.rmin[i + 1]!)) i++;
      if (i === last) break;
      // RMinNext(i) + RMaxPrev(i + 1)
      const mid = f32(f32(src.rmin[i]! + src.wmin[i]!) + f32(src.rmax[i + 1]! - src.wmin[i + 1]!));
      if (dx2 < mid) {
        if (i !== lastIdx) {
          this.put(size++, src, i);
          lastIdx = i;
        }
      } else if (i + 1 !== lastIdx) {
        this.put(size++, src, i + 1);
        lastIdx = i + 1;
      }
    }
    if (lastIdx !== last) this.put(size++, src, last);
    this.size = size;
  }

  /** `WQSummary::SetCombine`: the merged summary of two summaries, then `FixError`. */
  setCombine(a: Summary, b: Summary): void {
    if (a.size === 0) return this.copyFrom(b);
    if (b.size === 0) return this.copyFrom(a);
    this.reserve(a.size + b.size);
    let ia = 0;
    let ib = 0;
    let aPrevRmin = 0;
    let bPrevRmin = 0;
    let d = 0;
    while (ia < a.size && ib < b.size) {
      const va = a.value[ia]!;
      const vb = b.value[ib]!;
      if (va === vb) {
        this.entry(d++, f32(a.rmin[ia]! + b.rmin[ib]!), f32(a.rmax[ia]! + b.rmax[ib]!), f32(a.wmin[ia]! + b.wmin[ib]!), va);
        aPrevRmin = f32(a.rmin[ia]! + a.wmin[ia]!);
        bPrevRmin = f32(b.rmin[ib]! + b.wmin[ib]!);
        ia++;
        ib++;
      } else if (va < vb) {
        this.entry(d++, f32(a.rmin[ia]! + bPrevRmin), f32(a.rmax[ia]! + f32(b.rmax[ib]! - b.wmin[ib]!)), a.wmin[ia]!, va);
        aPrevRmin = f32(a.rmin[ia]! + a.wmin[ia]!);
        ia++;
      } else {
        this.entry(d++, f32(b.rmin[ib]! + aPrevRmin), f32(b.rmax[ib]! + f32(a.rmax[ia]! - a.wmin[ia]!)), b.wmin[ib]!, vb);
        bPrevRmin = f32(b.rmin[ib]! + b.wmin[ib]!);
        ib++;
      }
    }
    const bRmax = b.rmax[b.size - 1]!;
    for (; ia < a.size; ia++) this.entry(d++, f32(a.rmin[ia]! + bPrevRmin), f32(a.rmax[ia]! + bRmax), a.wmin[ia]!, a.value[ia]!);
    const aRmax = a.rmax[a.size - 1]!;
    for (; ib < b.size; ib++) this.entry(d++, f32(b.rmin[ib]! + aPrevRmin), f32(b.rmax[ib]! + aRmax), b.wmin[ib]!, b.value[ib]!);
    this.size = d;
    this.fixError();
  }

  /** `WQSummary::FixError`: make rank bounds monotone after a merge. */
  private fixError(): void {
    let prevRmin = 0;
    let prevRmax = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.rmin[i]! < prevRmin) this.rmin[i] = prevRmin;
      else prevRmin = this.rmin[i]!;
      if (this.rmax[i]! < prevRmax) this.rmax[i] = prevRmax;
      const next = f32(this.rmin[i]! + this.wmin[i]!);
      if (this.rmax[i]! < next) this.rmax[i] = next;
      prevRmax = this.rmax[i]!;
    }
  }
}

/**
 * The first n values of `values` sorted ascending, as a Float32Array view over `keys`'
 * buffer: float bits are mapped to unsigned integers with the same order (negative values
 * flipped, positive ones given the top bit), sorted, and mapped back.
 */
function sortFloat32(values: Float32Array, n: number, keys: Uint32Array): Float32Array {
  const asFloat = new Float32Array(keys.buffer, 0, n);
  asFloat.set(values.subarray(0, n));
  const k = keys.subarray(0, n);
  for (let i = 0; i < n; i++) {
    const b = k[i]!;
    k[i] = b & 0x80000000 ? ~b : b | 0x80000000;
  }
  k.sort();
  for (let i = 0; i < n; i++) {
    const b = k[i]!;
    k[i] = b & 0x80000000 ? b & 0x7fffffff : ~b;
  }
  return asFloat;
}

/** `WQuantileSketch::LimitSizeLevel`: levels and entries per level for n values at accuracy eps. */
function limitSizeLevel(maxn: number, eps: number): number {
  for (let nlevel = 1; ; nlevel++) {
    const limit = Math.min(maxn, Math.ceil(nlevel / eps) + 1);
    if (2 ** nlevel * limit >= maxn) return limit;
  }
}

/** One feature's streaming sketch (`WQuantileSketch<float, float>` as HostSketchContainer sets it up). */
class FeatureSketch {
  private readonly limitSize: number;
  private readonly qValue: Float32Array;
  private readonly qWeight: Float32Array;
  private qTail = 0;
  /** True while every queue slot has weight 1 (no merged neighbours): then a sorted run's length is its weight. */
  private unitWeights = true;
  private readonly levels: Summary[] = [];
  private readonly temp: Summary;
  private readonly sortKeys: Uint32Array;

  constructor(count: number, maxBin: number) {
    const nBins = Math.max(1, Math.min(maxBin, count));
    this.limitSize = limitSizeLevel(count, 1 / (nBins * K_FACTOR));
    this.qValue = new Float32Array(this.limitSize * 2);
    this.qWeight = new Float32Array(this.limitSize * 2);
    this.temp = new Summary(this.limitSize * 2);
    this.sortKeys = new Uint32Array(this.limitSize * 2);
  }

  /** Pushes a column's values (and weights, or 1 each) in order; a full queue is summarised and carried up the levels. */
  pushAll(values: Float64Array, weights: Float64Array | null): void {
    const qValue = this.qValue;
    const qWeight = this.qWeight;
    const cap = qValue.length;
    let tail = this.qTail;
    let unit = this.unitWeights;
    for (let i = 0; i < values.length; i++) {
      const w = weights ? f32(weights[i]!) : 1;
      if (w === 0) continue;
      if (tail === cap) {
        this.qTail = tail;
        this.unitWeights = unit;
        this.makeSummary(this.temp);
        this.pushTemp();
        tail = 0;
        unit = true;
      }
      const x = values[i]!;
      // -0 and 0 are one value (as in XGBoost's comparisons), and one sort key.
      const v = x === 0 ? 0 : f32(x);
      // Equal neighbours share a queue slot: this decides when the queue fills, so it matters.
      if (tail > 0 && qValue[tail - 1] === v) {
        qWeight[tail - 1] = f32(qWeight[tail - 1]! + w);
        unit = false;
      } else {
        if (w !== 1) unit = false;
        qValue[tail] = v;
        qWeight[tail++] = w;
      }
    }
    this.qTail = tail;
    this.unitWeights = unit;
  }

  /** The queue sorted, equal values merged, as an exact summary. */
  private makeSummary(out: Summary): void {
    const n = this.qTail;
    // The values sorted as order-preserving integer keys (V8 sorts a Uint32Array several
    // times faster than a Float32Array), then each entry's weight added to its value's slot
    // (by run length when every slot weighs 1, else by binary search): the same summary as
    // sorting (value, weight) pairs, since equal values merge whatever their order.
    const sorted = sortFloat32(this.qValue, n, this.sortKeys);
    out.reserve(n);
    let distinct = 0;
    if (this.unitWeights) {
      const w = out.wmin;
      for (let i = 0; i < n; i++) {
        if (i === 0 || sorted[i] !== sorted[distinct - 1]) {
          sorted[distinct] = sorted[i]!;
          w[distinct++] = 1;
        } else w[distinct - 1]!++;
      }
    } else {
      for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[distinct - 1]) sorted[distinct++] = sorted[i]!;
      const w = out.wmin.fill(0, 0, distinct);
      for (let i = 0; i < n; i++) {
        const v = this.qValue[i]!;
        let lo = 0;
        let hi = distinct - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (sorted[mid]! < v) lo = mid + 1;
          else hi = mid;
        }
        w[lo] = f32(w[lo]! + this.qWeight[i]!);
      }
    }
    const w = out.wmin;
    let wsum = 0;
    for (let k = 0; k < distinct; k++) {
      out.rmin[k] = wsum;
      out.rmax[k] = f32(wsum + w[k]!);
      out.value[k] = sorted[k]!;
      wsum = f32(wsum + w[k]!);
    }
    out.size = distinct;
  }

  private level(l: number): Summary {
    while (this.levels.length <= l) this.levels.push(new Summary(0));
    return this.levels[l]!;
  }

  /** `WQuantileSketch::PushTemp`: carry the full queue's summary up the merge levels. */
  private pushTemp(): void {
    for (let l = 1; ; l++) {
      this.level(l + 1);
      const lv = this.level(l);
      if (lv.size === 0) {
        lv.setPrune(this.temp, this.limitSize);
        return;
      }
      const l0 = this.level(0);
      l0.setPrune(this.temp, this.limitSize);
      this.temp.setCombine(l0, lv);
      if (this.temp.size > this.limitSize) lv.size = 0;
      else {
        lv.copyFrom(this.temp);
        return;
      }
    }
  }

  /** `WQuantileSketch::GetSummary`. */
  summary(): Summary {
    const out = new Summary(this.qTail);
    this.makeSummary(out);
    if (this.levels.length > 0) {
      const l0 = this.level(0);
      l0.setPrune(out, this.limitSize);
      for (let l = 1; l < this.levels.length; l++) {
        const lv = this.levels[l]!;
        if (lv.size === 0) continue;
        if (l0.size === 0) l0.copyFrom(lv);
        else {
          out.setCombine(l0, lv);
          l0.setPrune(out, this.limitSize);
        }
      }
      out.copyFrom(l0);
    } else if (out.size > this.limitSize) {
      const pruned = new Summary(this.limitSize);
      pruned.setPrune(out, this.limitSize);
      out.copyFrom(pruned);
    }
    return out;
  }
}

/**
 * Cut points of one feature as XGBoost 1.7's `hist` places them. `values` are the feature's
 * non-missing training values in row order (the order matters when the sketch has to prune
 * while streaming); `weights` are the rows' weights, or null for 1 each.
 * Returns ascending upper bounds; the last lies above the maximum.
 */
export function sketchCuts(values: Float64Array, weights: Float64Array | null, maxBin: number): Float64Array {
  const count = values.length;
  if (count === 0) return new Float64Array([f32(f32(1e-5) + f32(f32(1e-5) + f32(1e-5)))]);
  const sketch = new FeatureSketch(count, maxBin);
  sketch.pushAll(values, weights);
  const { cuts, lastCut } = cutsOfSummary(sketch.summary(), count, maxBin);
  mapToTrainingValues(cuts, values);
  cuts.push(lastCut);
  return Float64Array.from(cuts);
}

/** `MakeCuts`: prune a feature's summary to maxBin + 1 entries; its inner values are the cuts. */
function cutsOfSummary(full: Summary, count: number, maxBin: number): { cuts: number[]; lastCut: number } {
  const intermediate = Math.min(count, maxBin * K_FACTOR);
  const reduced = new Summary(intermediate);
  reduced.setPrune(full, intermediate);
  const maxNumBins = Math.min(intermediate, maxBin);
  const final = new Summary(maxNumBins + 1);
  final.setPrune(reduced, maxNumBins + 1);

  const cuts: number[] = [];
  const required = Math.min(final.size, maxNumBins);
  for (let i = 1; i < required; i++) {
    const c = final.value[i]!;
    if (i === 1 || c > cuts[cuts.length - 1]!) cuts.push(c);
  }
  const top = final.size > 0 ? final.value[final.size - 1]! : f32(1e-5);
  return { cuts, lastCut: f32(top + f32(Math.abs(top) + f32(1e-5))) };
}

/** One feature's weighted quantile summary as plain numbers: what a federation participant shares instead of its values. */
export interface SketchSummary {
  /** Non-missing values sketched. */
  count: number;
  value: number[];
  rmin: number[];
  rmax: number[];
  wmin: number[];
}

/**
 * A feature's local summary, pruned to `maxBin * 8` entries (XGBoost's distributed `hist`
 * sends the same to its allreduce): summaries of disjoint row sets merge into the summary
 * of their union (`cutsFromSummaries`).
 */
export function sketchSummary(values: Float64Array, weights: Float64Array | null, maxBin: number): SketchSummary {
  const count = values.length;
  if (count === 0) return { count: 0, value: [], rmin: [], rmax: [], wmin: [] };
  const sketch = new FeatureSketch(count, maxBin);
  sketch.pushAll(values, weights);
  const size = Math.min(count, maxBin * K_FACTOR);
  const reduced = new Summary(size);
  reduced.setPrune(sketch.summary(), size);
  const n = reduced.size;
  return { count, value: [...reduced.value.subarray(0, n)], rmin: [...reduced.rmin.subarray(0, n)], rmax: [...reduced.rmax.subarray(0, n)], wmin: [...reduced.wmin.subarray(0, n)] };
}

/**
 * Cut points from the summaries of disjoint row sets (`SetCombine` then `MakeCuts`), as
 * XGBoost's distributed sketch merges its workers'. The cuts are float32 sketch values
 * (no training values to map them back to); the last lies above the maximum.
 */
export function cutsFromSummaries(parts: readonly SketchSummary[], maxBin: number): Float64Array {
  let merged = new Summary(0);
  let count = 0;
  for (const p of parts) {
    if (p.count === 0) continue;
    const s = new Summary(p.value.length);
    s.value.set(p.value);
    s.rmin.set(p.rmin);
    s.rmax.set(p.rmax);
    s.wmin.set(p.wmin);
    s.size = p.value.length;
    const next = new Summary(merged.size + s.size);
    next.setCombine(merged, s);
    merged = next;
    count += p.count;
  }
  if (count === 0) return new Float64Array([f32(f32(1e-5) + f32(f32(1e-5) + f32(1e-5)))]);
  const { cuts, lastCut } = cutsOfSummary(merged, count, maxBin);
  cuts.push(lastCut);
  return Float64Array.from(cuts);
}

/**
 * Replaces each float32 cut by the smallest training value that rounds to it, so float64
 * binning with `x < cut` agrees with XGBoost's float32 `upper_bound` on every training row.
 */
function mapToTrainingValues(cuts: number[], values: Float64Array): void {
  if (cuts.length === 0) return;
  const asFloat = Float32Array.from(cuts);
  const smallest = new Float64Array(cuts.length).fill(Infinity);
  for (let r = 0; r < values.length; r++) {
    const x = values[r]!;
    const fx = f32(x);
    let lo = 0;
    let hi = asFloat.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (asFloat[mid]! < fx) lo = mid + 1;
      else hi = mid;
    }
    if (asFloat[lo] === fx && x < smallest[lo]!) smallest[lo] = x;
  }
  for (let i = 0; i < cuts.length; i++) if (smallest[i]! < Infinity) cuts[i] = smallest[i]!;
}
