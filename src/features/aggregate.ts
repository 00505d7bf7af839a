import { MS_PER_DAY } from '../core/clock.js';
import { assertUnreachable } from '../core/errors.js';
import type { Aggregation } from './definition.js';
import { dayOf, type StreamState } from './stream.js';

/** How one aggregate feature reads its stream. */
export interface AggregateSpec {
  aggregation: Aggregation;
  /** Window in days; Infinity for lifetime. */
  windowDays: number;
  /** True when the stream carries a value (sums read it; counts read event counts). */
  hasValue: boolean;
  /** Index into the stream's EWM half-lives. */
  ewmIndex: number;
  /**
   * Applied on read, not on update, so streams hold raw minor units: integer sums stay
   * exact (online and offline agree to the bit) and snapshots store them as varints.
   */
  scale: number;
}

/**
 * The value of one aggregate at as-of time `asOf` (epoch ms). A window of W days holds
 * the events of the UTC days (day(asOf) - W, day(asOf)], up to asOf: today so far and the
 * W - 1 days before. NaN means "no value" (e.g. a mean over no events).
 */
export function readAggregate(spec: AggregateSpec, s: StreamState | undefined, asOf: number): number {
  const k = spec.scale;
  switch (spec.aggregation) {
    case 'sum':
    case 'mean':
    case 'last':
    case 'ewm':
    case 'weekly_slope':
      return scaled(readRaw(spec, s, asOf), k);
    case 'stddev':
      return scaled(readRaw(spec, s, asOf), Math.abs(k));
    case 'min':
    case 'max': {
      // A negative scale turns the largest raw value into the smallest scaled one.
      const flipped = k < 0 ? { ...spec, aggregation: spec.aggregation === 'min' ? ('max' as const) : ('min' as const) } : spec;
      return scaled(readRaw(flipped, s, asOf), k);
    }
    default:
      return readRaw(spec, s, asOf);
  }
}

/**
 * Pence to pounds by dividing by 100 rather than multiplying by 0.01, so 1999 reads as
 * 19.99 and not 19.990000000000002; + 0 turns -0 (no spend × -1) into 0.
 */
function scaled(x: number, k: number): number {
  if (k === 1) return x + 0;
  const inv = 1 / k;
  return (Number.isInteger(inv) ? x / inv : x * k) + 0;
}

function readRaw(spec: AggregateSpec, s: StreamState | undefined, asOf: number): number {
  const agg = spec.aggregation;
  const W = spec.windowDays;
  const lifetime = !Number.isFinite(W);
  if (!s || s.n === 0) return emptyValue(agg);
  const hi = dayOf(asOf);
  const lo = hi - W;
  switch (agg) {
    case 'count':
      return lifetime ? s.n : s.bucketTotal('n', lo, hi);
    case 'sum':
      return lifetime ? s.sum : s.bucketTotal('sum', lo, hi);
    case 'mean': {
      if (lifetime) return s.sum / s.n;
      const n = s.bucketTotal('n', lo, hi);
      return n > 0 ? s.bucketTotal('sum', lo, hi) / n : Number.NaN;
    }
    case 'min':
      return lifetime ? s.min : s.bucketExtreme('min', lo, hi);
    case 'max':
      return lifetime ? s.max : s.bucketExtreme('max', lo, hi);
    case 'stddev':
      return lifetime ? (s.n >= 2 ? Math.sqrt(Math.max(s.m2, 0) / (s.n - 1)) : Number.NaN) : s.bucketStddev(lo, hi);
    case 'last':
      return lifetime || dayOf(s.lastT) > lo ? s.lastValue : Number.NaN;
    case 'first_seen':
      return (asOf - s.firstT) / MS_PER_DAY;
    case 'days_since_last':
      return (asOf - s.lastT) / MS_PER_DAY;
    case 'distinct_count':
      return s.distinctSince(lifetime ? Number.NEGATIVE_INFINITY : lo);
    case 'active_days':
      return s.activeDays(lo, hi);
    case 'ewm':
      return s.ewm(spec.ewmIndex);
    case 'trend_ratio': {
      const field = spec.hasValue ? 'sum' : 'n';
      const prior = s.bucketTotal(field, lo - W, lo);
      return prior !== 0 ? s.bucketTotal(field, lo, hi) / prior : Number.NaN;
    }
    case 'weekly_slope':
      return weeklySlope(s, hi, Math.floor(W / 7), spec.hasValue);
    default:
      return assertUnreachable(agg);
  }
}

/** What an aggregate is for a customer with no matching event. */
function emptyValue(agg: Aggregation): number {
  return agg === 'count' || agg === 'sum' || agg === 'distinct_count' || agg === 'active_days' ? 0 : Number.NaN;
}

/**
 * Least-squares slope of weekly totals against week number, per week: K whole weeks
 * ending today, week 0 the oldest. Positive means rising.
 */
function weeklySlope(s: StreamState, today: number, weeks: number, hasValue: boolean): number {
  const y = new Float64Array(weeks);
  const lo = today - 7 * weeks;
  const arr = hasValue ? s.bsum : s.bn;
  for (let i = s.days.length - 1; i >= 0; i--) {
    const d = s.days[i]!;
    if (d <= lo) break;
    if (d > today) continue;
    const back = Math.floor((today - d) / 7);
    y[weeks - 1 - back]! += arr[i]!;
  }
  const xBar = (weeks - 1) / 2;
  let yBar = 0;
  for (let k = 0; k < weeks; k++) yBar += y[k]!;
  yBar /= weeks;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < weeks; k++) {
    sxy += (k - xBar) * (y[k]! - yBar);
    sxx += (k - xBar) * (k - xBar);
  }
  return sxy / sxx;
}
