import { MS_PER_DAY } from '../core/clock.js';
import type { ByteReader, ByteWriter } from './bytes.js';

/**
 * The state of one event stream of one customer: the events of some types that pass a
 * filter, with a value each. Several features share a stream (logins 7d, 30d and their
 * trend read the same daily counts), so its filter runs once per event.
 *
 * Windowed aggregates read sparse UTC-day buckets; lifetime aggregates read scalars.
 * Every update is commutative (sums, min/max, the latest by (time, seq)), so events
 * applied in arrival order (online) and in event-time order (offline) give the same
 * state, up to floating-point rounding.
 */

/** What the features on a stream need it to keep. */
export interface StreamNeeds {
  /** Days of buckets to keep behind the latest day; 0 when no windowed feature reads them. */
  bucketDays: number;
  /** Per-day event counts (counts, means, standard deviations, value-less trends). */
  bucketCount: boolean;
  bucketSum: boolean;
  /** Per-day sums of squares, for a windowed standard deviation. */
  bucketSq: boolean;
  bucketMin: boolean;
  bucketMax: boolean;
  /** Days a distinct value is remembered; Infinity for lifetime; 0 when no distinct count. */
  distinctDays: number;
  ewmHalfLives: readonly number[];
  /** Which lifetime scalars a feature reads: only these go into snapshots. */
  lifetimeMoments: boolean;
  lifetimeMin: boolean;
  lifetimeMax: boolean;
  firstSeen: boolean;
  lastValue: boolean;
}

/** The UTC day number of an epoch-ms time. */
export const dayOf = (t: number): number => Math.floor(t / MS_PER_DAY);

/** Above this exponent the EWM sums are rescaled so they never overflow. */
const EWM_RESCALE = 600;

export class StreamState {
  n = 0;
  sum = 0;
  mean = 0;
  m2 = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  firstT = Number.POSITIVE_INFINITY;
  lastT = Number.NEGATIVE_INFINITY;
  lastSeq = 0;
  lastValue = Number.NaN;
  maxDay = Number.NEGATIVE_INFINITY;
  days: number[] = [];
  bn: number[] = [];
  bsum: number[] = [];
  bsq: number[] = [];
  bmin: number[] = [];
  bmax: number[] = [];
  distinct: Map<string, number> | undefined;
  private distinctPrunedDay = Number.NEGATIVE_INFINITY;
  ewmRef = Number.NaN;
  ewmNum: number[] = [];
  ewmDen: number[] = [];

  constructor(private readonly needs: StreamNeeds) {
    if (needs.distinctDays > 0) this.distinct = new Map();
    for (let i = 0; i < needs.ewmHalfLives.length; i++) {
      this.ewmNum.push(0);
      this.ewmDen.push(0);
    }
  }

  /** Adds one event at time t (epoch ms) with log position seq and its value. */
  add(t: number, seq: number, x: number, key: string | undefined): void {
    const needs = this.needs;
    this.n++;
    this.sum += x;
    const delta = x - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (t < this.firstT) this.firstT = t;
    if (t > this.lastT || (t === this.lastT && seq > this.lastSeq)) {
      this.lastT = t;
      this.lastSeq = seq;
      this.lastValue = x;
    }
    const day = dayOf(t);
    if (day > this.maxDay) this.maxDay = day;
    if (needs.bucketDays > 0 && day > this.maxDay - needs.bucketDays) this.addToBucket(day, x);
    if (this.distinct && key !== undefined && day > this.maxDay - needs.distinctDays) {
      const prev = this.distinct.get(key);
      if (prev === undefined || day > prev) this.distinct.set(key, day);
      if (this.maxDay > this.distinctPrunedDay && Number.isFinite(needs.distinctDays)) this.pruneDistinct();
    }
    if (needs.ewmHalfLives.length > 0) this.addEwm(t, x);
  }

  private addToBucket(day: number, x: number): void {
    const days = this.days;
    let i = days.length - 1;
    while (i >= 0 && days[i]! > day) i--;
    if (i < 0 || days[i] !== day) {
      i++;
      days.splice(i, 0, day);
      this.bn.splice(i, 0, 0);
      if (this.needs.bucketSum) this.bsum.splice(i, 0, 0);
      if (this.needs.bucketSq) this.bsq.splice(i, 0, 0);
      if (this.needs.bucketMin) this.bmin.splice(i, 0, Number.POSITIVE_INFINITY);
      if (this.needs.bucketMax) this.bmax.splice(i, 0, Number.NEGATIVE_INFINITY);
    }
    this.bn[i]!++;
    if (this.needs.bucketSum) this.bsum[i]! += x;
    // Raw values are usually integer minor units, so these sums are exact (below 2^53).
    if (this.needs.bucketSq) this.bsq[i]! += x * x;
    if (this.needs.bucketMin && x < this.bmin[i]!) this.bmin[i] = x;
    if (this.needs.bucketMax && x > this.bmax[i]!) this.bmax[i] = x;
    // Drop buckets that no window can read any more: older than the longest window
    // behind the latest day (reads are only ever as of the latest event or later).
    const cutoff = this.maxDay - this.needs.bucketDays;
    let k = 0;
    while (k < days.length && days[k]! <= cutoff) k++;
    if (k > 0) {
      days.splice(0, k);
      this.bn.splice(0, k);
      if (this.needs.bucketSum) this.bsum.splice(0, k);
      if (this.needs.bucketSq) this.bsq.splice(0, k);
      if (this.needs.bucketMin) this.bmin.splice(0, k);
      if (this.needs.bucketMax) this.bmax.splice(0, k);
    }
  }

  private pruneDistinct(): void {
    const cutoff = this.maxDay - this.needs.distinctDays;
    for (const [k, d] of this.distinct!) if (d <= cutoff) this.distinct!.delete(k);
    this.distinctPrunedDay = this.maxDay;
  }

  private addEwm(t: number, x: number): void {
    const hl = this.needs.ewmHalfLives;
    const tDays = t / MS_PER_DAY;
    if (Number.isNaN(this.ewmRef)) this.ewmRef = tDays;
    for (let i = 0; i < hl.length; i++) {
      const lambda = Math.LN2 / hl[i]!;
      let e = lambda * (tDays - this.ewmRef);
      if (e > EWM_RESCALE) {
        // The mean is a ratio, so scaling both sums by the same factor leaves it unchanged.
        for (let j = 0; j < hl.length; j++) {
          const lj = Math.LN2 / hl[j]!;
          const s = Math.exp(-lj * (tDays - this.ewmRef));
          this.ewmNum[j]! *= s;
          this.ewmDen[j]! *= s;
        }
        this.ewmRef = tDays;
        e = 0;
      }
      const w = Math.exp(e);
      this.ewmNum[i]! += w * x;
      this.ewmDen[i]! += w;
    }
  }

  /** Sum of a bucket field over days (lo, hi]. */
  bucketTotal(field: 'n' | 'sum', lo: number, hi: number): number {
    const arr = field === 'n' ? this.bn : this.bsum;
    let s = 0;
    for (let i = this.days.length - 1; i >= 0; i--) {
      const d = this.days[i]!;
      if (d <= lo) break;
      if (d <= hi) s += arr[i]!;
    }
    return s;
  }

  /** Number of days in (lo, hi] with at least one event. */
  activeDays(lo: number, hi: number): number {
    let s = 0;
    for (let i = this.days.length - 1; i >= 0; i--) {
      const d = this.days[i]!;
      if (d <= lo) break;
      if (d <= hi) s++;
    }
    return s;
  }

  /** Min or max over days (lo, hi]; NaN when no event. */
  bucketExtreme(which: 'min' | 'max', lo: number, hi: number): number {
    const arr = which === 'min' ? this.bmin : this.bmax;
    let best = which === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    for (let i = this.days.length - 1; i >= 0; i--) {
      const d = this.days[i]!;
      if (d <= lo) break;
      if (d <= hi) best = which === 'min' ? Math.min(best, arr[i]!) : Math.max(best, arr[i]!);
    }
    return Number.isFinite(best) ? best : Number.NaN;
  }

  /**
   * Sample standard deviation over days (lo, hi] from per-day count, sum and sum of
   * squares. On integer minor units the sums are exact, so the only rounding is in the
   * final subtraction, far below a penny for bank-sized amounts.
   */
  bucketStddev(lo: number, hi: number): number {
    let n = 0;
    let sum = 0;
    let sq = 0;
    for (let i = this.days.length - 1; i >= 0; i--) {
      const d = this.days[i]!;
      if (d <= lo) break;
      if (d > hi) continue;
      n += this.bn[i]!;
      sum += this.bsum[i]!;
      sq += this.bsq[i]!;
    }
    return n >= 2 ? Math.sqrt(Math.max(sq - (sum * sum) / n, 0) / (n - 1)) : Number.NaN;
  }

  /** Distinct values last seen in days (lo, ∞). */
  distinctSince(lo: number): number {
    if (!this.distinct) return 0;
    let s = 0;
    for (const d of this.distinct.values()) if (d > lo) s++;
    return s;
  }

  /** The exponentially weighted mean for the i-th half-life; NaN before any event. */
  ewm(i: number): number {
    const den = this.ewmDen[i]!;
    return den > 0 ? this.ewmNum[i]! / den : Number.NaN;
  }

  /** Appends this state to a snapshot; times are written back from the customer's watermark (short varints). */
  encode(w: ByteWriter, watermark: number): void {
    w.uint(this.n);
    if (this.n === 0) return;
    const needs = this.needs;
    if (needs.lifetimeMoments) {
      w.num(this.sum);
      w.f64(this.mean);
      w.f64(this.m2);
    }
    if (needs.lifetimeMin) w.num(this.min);
    if (needs.lifetimeMax) w.num(this.max);
    if (needs.firstSeen) w.uint(watermark - this.firstT);
    w.uint(watermark - this.lastT);
    if (needs.lastValue) {
      w.uint(this.lastSeq);
      w.num(this.lastValue);
    }
    if (needs.bucketDays > 0) {
      w.uint(this.days.length);
      if (this.days.length > 0) {
        writeColumn(w, this.days);
        if (needs.bucketCount) writeColumn(w, this.bn);
        if (needs.bucketSum) writeColumn(w, this.bsum);
        if (needs.bucketSq) writeColumn(w, this.bsq);
        if (needs.bucketMin) writeColumn(w, this.bmin);
        if (needs.bucketMax) writeColumn(w, this.bmax);
      }
    }
    if (this.distinct) {
      w.uint(this.distinct.size);
      for (const [k, d] of this.distinct) {
        w.str(k);
        w.int(d);
      }
    }
    if (needs.ewmHalfLives.length > 0) {
      w.f64(this.ewmRef);
      for (let i = 0; i < needs.ewmHalfLives.length; i++) {
        w.f64(this.ewmNum[i]!);
        w.f64(this.ewmDen[i]!);
      }
    }
  }

  /** Reads a state written by `encode` with the same needs. */
  static decode(r: ByteReader, needs: StreamNeeds, watermark: number): StreamState {
    const s = new StreamState(needs);
    s.n = r.uint();
    if (s.n === 0) return s;
    if (needs.lifetimeMoments) {
      s.sum = r.num();
      s.mean = r.f64();
      s.m2 = r.f64();
    }
    if (needs.lifetimeMin) s.min = r.num();
    if (needs.lifetimeMax) s.max = r.num();
    if (needs.firstSeen) s.firstT = watermark - r.uint();
    s.lastT = watermark - r.uint();
    if (needs.lastValue) {
      s.lastSeq = r.uint();
      s.lastValue = r.num();
    }
    s.maxDay = dayOf(s.lastT);
    if (needs.bucketDays > 0) {
      const len = r.uint();
      if (len > 0) {
        s.days = readColumn(r, len);
        // Counts no feature reads are not saved; zeros keep the columns aligned.
        s.bn = needs.bucketCount ? readColumn(r, len) : new Array<number>(len).fill(0);
        if (needs.bucketSum) s.bsum = readColumn(r, len);
        if (needs.bucketSq) s.bsq = readColumn(r, len);
        if (needs.bucketMin) s.bmin = readColumn(r, len);
        if (needs.bucketMax) s.bmax = readColumn(r, len);
      }
    }
    if (s.distinct) {
      const size = r.uint();
      for (let i = 0; i < size; i++) s.distinct.set(r.str(), r.int());
      s.distinctPrunedDay = s.maxDay;
    }
    if (needs.ewmHalfLives.length > 0) {
      s.ewmRef = r.f64();
      for (let i = 0; i < needs.ewmHalfLives.length; i++) {
        s.ewmNum[i] = r.f64();
        s.ewmDen[i] = r.f64();
      }
    }
    return s;
  }
}

/** Steps `r` over one stream's snapshot without decoding it (a reader that needs a later stream). */
export function skipStream(r: ByteReader, needs: StreamNeeds): void {
  if (r.uint() === 0) return;
  skipLifetime(r, needs);
  if (needs.firstSeen) r.skipVarint();
  r.skipVarint();
  skipRecent(r, needs);
}

/**
 * Copies one stream's snapshot from `r` to `w` as `decode` then `encode` would, for a
 * customer whose watermark moved `shift` ms later: only the two time deltas (first seen,
 * last event) change; every other field is copied as bytes, stepped over without decoding.
 */
export function transcodeStream(r: ByteReader, w: ByteWriter, needs: StreamNeeds, shift: number): void {
  const n = r.uint();
  w.uint(n);
  if (n === 0) return;
  let from = r.position;
  skipLifetime(r, needs);
  if (r.position > from) w.raw(r.since(from));
  if (needs.firstSeen) w.uint(r.uint() + shift);
  w.uint(r.uint() + shift);
  from = r.position;
  skipRecent(r, needs);
  if (r.position > from) w.raw(r.since(from));
}

/** Steps over a stream snapshot's lifetime fields (before its time deltas). */
function skipLifetime(r: ByteReader, needs: StreamNeeds): void {
  if (needs.lifetimeMoments) {
    r.skipNum();
    r.skip(16);
  }
  if (needs.lifetimeMin) r.skipNum();
  if (needs.lifetimeMax) r.skipNum();
}

/** Steps over the fields after a stream snapshot's time deltas: last value, buckets, distinct days, EWMs. */
function skipRecent(r: ByteReader, needs: StreamNeeds): void {
  if (needs.lastValue) {
    r.skipVarint();
    r.skipNum();
  }
  if (needs.bucketDays > 0) {
    const len = r.uint();
    if (len > 0) {
      const columns = 1 + (needs.bucketCount ? 1 : 0) + (needs.bucketSum ? 1 : 0) + (needs.bucketSq ? 1 : 0) + (needs.bucketMin ? 1 : 0) + (needs.bucketMax ? 1 : 0);
      for (let c = 0; c < columns; c++) {
        if (r.uint() === 1) r.skip(8 * len);
        else r.skipVarints(len);
      }
    }
  }
  if (needs.distinctDays > 0) {
    const size = r.uint();
    for (let i = 0; i < size; i++) {
      r.skip(r.uint());
      r.skipVarint();
    }
  }
  if (needs.ewmHalfLives.length > 0) r.skip(8 + 16 * needs.ewmHalfLives.length);
}

/**
 * A column of bucket values: delta-coded zig-zag varints when every value is a safe
 * integer (days, counts, sums of minor units: neighbours are close, so deltas are short),
 * else raw f64.
 */
function writeColumn(w: ByteWriter, xs: readonly number[]): void {
  const ints = xs.every((x) => Number.isSafeInteger(x) && Math.abs(x) < 2 ** 51);
  w.uint(ints ? 0 : 1);
  if (!ints) {
    for (const x of xs) w.f64(x);
    return;
  }
  let prev = 0;
  for (const x of xs) {
    w.int(x - prev);
    prev = x;
  }
}

function readColumn(r: ByteReader, len: number): number[] {
  const out = new Array<number>(len);
  if (r.uint() === 1) {
    for (let i = 0; i < len; i++) out[i] = r.f64();
    return out;
  }
  let prev = 0;
  for (let i = 0; i < len; i++) out[i] = prev += r.int();
  return out;
}
