/**
 * Harrell's concordance index as R's `concordance()` reports it for a Cox model
 * (survival 3.x, timewt "n"): a pair is comparable when the shorter time is an event (a
 * censoring at the same time counts as the longer survival); it is concordant when the
 * shorter survivor has the higher risk score. Pairs tied on risk count one half; pairs
 * of events at the same time are tied on time and not comparable. O(n log n) with a
 * Fenwick tree over the ranks of the risk score, so it runs on millions of customers.
 */

/** Pair counts and the C-index. */
export interface Concordance {
  /** (concordant + tiedRisk / 2) / (concordant + discordant + tiedRisk). */
  cIndex: number;
  concordant: number;
  discordant: number;
  /** Comparable pairs with equal risk score (R: tied.x). */
  tiedRisk: number;
  /** Pairs of events at the same time with different risk scores (R: tied.y). */
  tiedTime: number;
  /** Pairs of events at the same time with equal risk scores (R: tied.xy). */
  tiedTimeAndRisk: number;
}

class Fenwick {
  private readonly tree: Float64Array;
  constructor(size: number) {
    this.tree = new Float64Array(size + 1);
  }
  add(rank: number, v: number): void {
    for (let i = rank + 1; i < this.tree.length; i += i & -i) this.tree[i]! += v;
  }
  /** Sum over ranks 0..rank-1. */
  below(rank: number): number {
    let s = 0;
    for (let i = rank; i > 0; i -= i & -i) s += this.tree[i]!;
    return s;
  }
}

/**
 * Concordance of a risk score (higher = shorter expected survival) with right-censored
 * times; pairs are compared only within a stratum.
 */
export function harrellConcordance(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  risk: ArrayLike<number>,
  strata?: ArrayLike<number>,
): Concordance {
  const n = time.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => (strata ? strata[a]! - strata[b]! : 0) || time[b]! - time[a]! || a - b);
  let concordant = 0;
  let discordant = 0;
  let tiedRisk = 0;
  let tiedTime = 0;
  let tiedTimeAndRisk = 0;
  let start = 0;
  while (start < n) {
    let end = start;
    const s = strata ? strata[order[start]!]! : 0;
    while (end < n && (strata ? strata[order[end]!]! : 0) === s) end++;
    // Ranks of the risk score within the stratum.
    const rows = order.slice(start, end);
    const values = Float64Array.from(rows, (i) => risk[i]!).sort();
    const distinct: number[] = [];
    for (const v of values) if (distinct.length === 0 || distinct[distinct.length - 1] !== v) distinct.push(v);
    const rankOf = (v: number): number => {
      let lo = 0;
      let hi = distinct.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (distinct[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const tree = new Fenwick(distinct.length);
    let inTree = 0;
    let g = 0;
    while (g < rows.length) {
      let h = g;
      const t = time[rows[g]!]!;
      while (h < rows.length && time[rows[h]!]! === t) h++;
      // Censored at this time outlive the events at this time.
      for (let k = g; k < h; k++) {
        const i = rows[k]!;
        if (event[i] !== 1) {
          tree.add(rankOf(risk[i]!), 1);
          inTree++;
        }
      }
      const eventRanks: number[] = [];
      for (let k = g; k < h; k++) {
        const i = rows[k]!;
        if (event[i] !== 1) continue;
        const r = rankOf(risk[i]!);
        eventRanks.push(r);
        const below = tree.below(r);
        const atOrBelow = tree.below(r + 1);
        concordant += below;
        tiedRisk += atOrBelow - below;
        discordant += inTree - atOrBelow;
      }
      // Pairs of events at the same time: tied on time, split by whether risk ties too.
      if (eventRanks.length > 1) {
        eventRanks.sort((a, b) => a - b);
        const d = eventRanks.length;
        let sameRisk = 0;
        for (let a = 0; a < d; ) {
          let b = a;
          while (b < d && eventRanks[b] === eventRanks[a]) b++;
          sameRisk += ((b - a) * (b - a - 1)) / 2;
          a = b;
        }
        tiedTimeAndRisk += sameRisk;
        tiedTime += (d * (d - 1)) / 2 - sameRisk;
      }
      for (const r of eventRanks) tree.add(r, 1);
      inTree += eventRanks.length;
      g = h;
    }
    start = end;
  }
  const comparable = concordant + discordant + tiedRisk;
  return {
    cIndex: comparable > 0 ? (concordant + tiedRisk / 2) / comparable : NaN,
    concordant,
    discordant,
    tiedRisk,
    tiedTime,
    tiedTimeAndRisk,
  };
}
