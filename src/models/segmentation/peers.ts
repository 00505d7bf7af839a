/**
 * Peer-group insights: where a customer stands among the customers of their own segment
 * ("your card spend is higher than 72% of customers like you") and what those peers hold
 * ("customers like you: 38% hold an ISA"). Built once per segmentation, then each customer
 * costs a binary search per feature.
 */
import { ValidationError } from '../../core/errors.js';
import type { FeatureMatrix } from './matrix.js';

/** A product and whether each customer (row) holds it. */
export interface ProductHolding {
  product: string;
  /** Noun phrase with its article, e.g. "an ISA", "a credit card". */
  label: string;
  held: ArrayLike<boolean | number>;
}

/** Sorted feature values and product-holding rates of each segment. */
export interface PeerGroups {
  k: number;
  columns: string[];
  /** sorted[segment][column]: that column's values in the segment, ascending. */
  sorted: Float64Array[][];
  sizes: number[];
  /** holdingRates[segment][product index]. */
  holdingRates: number[][];
  products: { product: string; label: string }[];
}

/** One feature of one customer against their peers. */
export interface PeerPercentile {
  column: string;
  value: number;
  /** Mid-rank percentile within the segment, 0-100. */
  percentile: number;
  peerMedian: number;
}

/** What a customer's peers hold. */
export interface PeerHolding {
  product: string;
  rate: number;
  holds: boolean | undefined;
  message: string;
}

/** Precomputes peer groups from the features (original units) and segment labels. */
export function buildPeerGroups(m: FeatureMatrix, labels: Int32Array, k: number, columns: readonly string[], holdings: readonly ProductHolding[] = []): PeerGroups {
  const { rows: n, cols: d, data } = m;
  if (labels.length !== n) throw new ValidationError([{ field: 'labels', rule: 'one_per_row', message: `has ${labels.length} labels for ${n} rows` }]);
  if (columns.length !== d) throw new ValidationError([{ field: 'columns', rule: 'one_per_feature', message: `names ${columns.length} columns for ${d} features` }]);
  for (const h of holdings) {
    if (h.held.length !== n) throw new ValidationError([{ field: `holdings.${h.product}`, rule: 'one_per_row', message: `has ${h.held.length} values for ${n} rows` }]);
  }
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) sizes[labels[i]!]!++;
  const sorted = sizes.map((size) => Array.from({ length: d }, () => new Float64Array(size)));
  const filled = new Array<number>(k).fill(0);
  const held = Array.from({ length: k }, () => new Array<number>(holdings.length).fill(0));
  for (let i = 0; i < n; i++) {
    const s = labels[i]!;
    const at = filled[s]!++;
    for (let j = 0; j < d; j++) sorted[s]![j]![at] = data[i * d + j]!;
    holdings.forEach((h, p) => {
      if (h.held[i]) held[s]![p]!++;
    });
  }
  for (const perColumn of sorted) for (const values of perColumn) values.sort();
  return {
    k,
    columns: [...columns],
    sorted,
    sizes,
    holdingRates: held.map((counts, s) => counts.map((c) => (sizes[s]! > 0 ? c / sizes[s]! : 0))),
    products: holdings.map((h) => ({ product: h.product, label: h.label })),
  };
}

/** Number of values < v and <= v in an ascending array. */
function ranks(values: Float64Array, v: number): [number, number] {
  const bound = (strict: boolean) => {
    let lo = 0;
    let hi = values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? values[mid]! < v : values[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return [bound(true), bound(false)];
}

/** Percentiles of one customer's values within their segment, and the segment's holding rates. */
export function peerInsights(groups: PeerGroups, segment: number, values: readonly number[], holds?: readonly boolean[]): { segment: number; peers: number; percentiles: PeerPercentile[]; holdings: PeerHolding[] } {
  if (!(Number.isInteger(segment) && segment >= 0 && segment < groups.k)) throw new ValidationError([{ field: 'segment', rule: 'known_segment', message: `is ${segment}; segments are 0-${groups.k - 1}` }]);
  if (values.length !== groups.columns.length) throw new ValidationError([{ field: 'values', rule: 'one_per_feature', message: `has ${values.length} values for ${groups.columns.length} features` }]);
  const size = groups.sizes[segment]!;
  const percentiles = groups.columns.map((column, j) => {
    const sorted = groups.sorted[segment]![j]!;
    const [below, atOrBelow] = ranks(sorted, values[j]!);
    const mid = size === 0 ? 0 : (below + (atOrBelow - below) / 2) / size;
    const median = size === 0 ? NaN : size % 2 === 1 ? sorted[(size - 1) / 2]! : (sorted[size / 2 - 1]! + sorted[size / 2]!) / 2;
    return { column, value: values[j]!, percentile: 100 * mid, peerMedian: median };
  });
  const holdings = groups.products.map((p, i) => {
    const rate = groups.holdingRates[segment]![i]!;
    return { product: p.product, rate, holds: holds?.[i], message: `customers like you: ${Math.round(100 * rate)}% hold ${p.label}` };
  });
  // Products the customer lacks come first, most widely held by peers first: the natural next offer.
  holdings.sort((a, b) => Number(a.holds === true) - Number(b.holds === true) || b.rate - a.rate);
  return { segment, peers: size, percentiles, holdings };
}

/** The points of a peer quantile summary: 0, 5, …, 100%. */
export const PEER_QUANTILE_POINTS = 21;

/**
 * A compact summary of each segment's values: each column at 0, 5, …, 100% (linear
 * interpolation between order statistics, as numpy's default), enough to place a served
 * customer among their peers without keeping the training rows. [segment][column][point].
 */
export function peerQuantiles(groups: PeerGroups, points = PEER_QUANTILE_POINTS): number[][][] {
  return groups.sorted.map((perColumn) =>
    perColumn.map((v) =>
      Array.from({ length: points }, (_, p) => {
        if (v.length === 0) return Number.NaN;
        const h = ((v.length - 1) * p) / (points - 1);
        const lo = Math.floor(h);
        return v[lo]! + (h - lo) * ((v[Math.min(lo + 1, v.length - 1)] ?? v[lo]!) - v[lo]!);
      }),
    ),
  );
}

/** Where `v` falls among peers summarised by `q` (from peerQuantiles), 0-100; ties take the middle of their run. */
export function percentileAmong(q: readonly number[], v: number): number {
  const n = q.length;
  if (n < 2 || !Number.isFinite(v) || q.some((x) => !Number.isFinite(x))) return Number.NaN;
  let below = 0;
  while (below < n && q[below]! < v) below++;
  let atOrBelow = below;
  while (atOrBelow < n && q[atOrBelow]! <= v) atOrBelow++;
  if (atOrBelow > below) return (100 * ((below + atOrBelow - 1) / 2)) / (n - 1);
  if (below === 0) return 0;
  if (below === n) return 100;
  const at = below - 1 + (v - q[below - 1]!) / (q[below]! - q[below - 1]!);
  return (100 * at) / (n - 1);
}
