import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/core/random.js';
import { buildPeerGroups, peerInsights, peerQuantiles, percentileAmong } from '../../../src/models/segmentation/peers.js';

describe('peer quantile summaries', () => {
  it('match numpy.quantile (linear) on a small segment', () => {
    // numpy.quantile([1, 2, 4, 8, 16], [0, .05, .25, .5, .75, 1]) = [1, 1.2, 2, 4, 8, 16]
    const g = buildPeerGroups({ rows: 5, cols: 1, data: Float64Array.from([8, 1, 16, 2, 4]) }, Int32Array.from([0, 0, 0, 0, 0]), 1, ['x']);
    const q = peerQuantiles(g)[0]![0]!;
    expect(q).toHaveLength(21);
    expect([q[0], q[1], q[5], q[10], q[15], q[20]]).toEqual([1, 1.2, 2, 4, 8, 16]);
    expect(percentileAmong(q, 4)).toBe(50);
    expect(percentileAmong(q, 0)).toBe(0);
    expect(percentileAmong(q, 99)).toBe(100);
  });

  it('place a customer within 7.5 points of the exact mid-rank percentile (seeded property, skewed and tied data)', () => {
    const rng = mulberry32(17);
    for (let trial = 0; trial < 30; trial++) {
      const n = 200 + Math.floor(rng.next() * 800);
      // Money-like: a third at zero, the rest log-normal.
      const data = Float64Array.from({ length: n }, () => (rng.next() < 0.33 ? 0 : Math.round(Math.exp(6 + 2 * rng.next()))));
      const g = buildPeerGroups({ rows: n, cols: 1, data }, new Int32Array(n), 1, ['balance']);
      const q = peerQuantiles(g)[0]![0]!;
      for (let k = 0; k < 20; k++) {
        const v = data[Math.floor(rng.next() * n)]!;
        const exact = peerInsights(g, 0, [v]).percentiles[0]!.percentile;
        expect(Math.abs(percentileAmong(q, v) - exact), `n=${n} v=${v}`).toBeLessThanOrEqual(5 + 100 / 20 / 2);
      }
    }
  });
});
