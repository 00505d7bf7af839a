import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '../../../src/core/random.js';
import {
  buildPeerGroups,
  chooseK,
  describeSegments,
  elbowIndex,
  matrixFromRows,
  peerInsights,
  silhouette,
  traitLevel,
  type FeatureWords,
} from '../../../src/models/segmentation/index.js';

const words: FeatureWords[] = [
  { column: 'travel', label: 'travel spend', highName: 'frequent travellers' },
  { column: 'fx', label: 'FX spend' },
  { column: 'mobile', label: 'share of mobile logins', high: 'mobile-first', low: 'branch-loyal' },
  { column: 'balance', label: 'balance' },
  { column: 'age', label: 'age', lowName: 'young professionals' },
];
// Population mean 0 and SD 1, so a centre's values are its z-scores.
const scaler = { mean: Float64Array.of(0, 0, 0, 0, 0), sd: Float64Array.of(1, 1, 1, 1, 1) };

describe('segment describer', () => {
  it('turns z-scores into the words of the issue, strongest first, with a name', () => {
    const centres = Float64Array.of(0.8, 0.7, 0.6, 0.3, 0.1, /* second */ -0.1, 0, -0.9, -0.3, -1.4, /* third */ 0.1, -0.2, 0, 0.2, 0);
    const [a, b, c] = describeSegments(centres, 3, scaler, words, { maxTraits: 4 });
    expect(a!.summary).toBe('high travel and FX spend, mobile-first, above-average balance');
    expect(a!.name).toBe('Frequent travellers');
    expect(b!.summary).toBe('very low age, branch-loyal, below-average balance');
    expect(b!.name).toBe('Young professionals');
    expect(c!.summary).toBe('close to the average customer on every feature');
    expect(c!.name).toBe('Typical customers');
  });

  it('uses the documented thresholds and original units', () => {
    expect([1, 0.99, 0.5, 0.49, 0.25, 0.24, -0.25, -0.5, -1].map(traitLevel)).toEqual([
      'very high', 'high', 'high', 'above-average', 'above-average', undefined, 'below-average', 'low', 'very low',
    ]);
    const d = describeSegments(Float64Array.of(3000, 40), 1, { mean: Float64Array.of(1000, 40), sd: Float64Array.of(1000, 10) }, [
      { column: 'debt' }, { column: 'age' },
    ]);
    expect(d[0]!.summary).toBe('very high debt');
    expect(d[0]!.traits[0]).toMatchObject({ column: 'debt', z: 2, value: 3000, populationMean: 1000 });
  });

  it('is deterministic and never gives two segments the same name (seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 20, maxLength: 20 }), (zs) => {
        const centres = Float64Array.from(zs);
        const first = describeSegments(centres, 4, scaler, words);
        expect(describeSegments(centres, 4, scaler, words)).toEqual(first);
        expect(new Set(first.map((s) => s.name)).size).toBe(4);
        for (const s of first) expect(s.traits.length).toBeLessThanOrEqual(3);
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});

describe('peer-group insights', () => {
  it('gives mid-rank percentiles within the segment and the peers holding rates', () => {
    const m = matrixFromRows([[10], [20], [30], [40], [1000], [2000]]);
    const labels = Int32Array.of(0, 0, 0, 0, 1, 1);
    const isa = [true, false, false, true, true, true];
    const groups = buildPeerGroups(m, labels, 2, ['card spend'], [{ product: 'isa', label: 'an ISA', held: isa }, { product: 'card', label: 'a credit card', held: [1, 1, 1, 0, 0, 0] }]);
    const you = peerInsights(groups, 0, [30], [false, true]);
    expect(you.peers).toBe(4);
    expect(you.percentiles[0]).toEqual({ column: 'card spend', value: 30, percentile: 62.5, peerMedian: 25 });
    expect(you.holdings.map((h) => h.message)).toEqual(['customers like you: 50% hold an ISA', 'customers like you: 75% hold a credit card']);
    expect(() => peerInsights(groups, 2, [1])).toThrow(/segment.*known_segment/);
  });

  it('percentiles equal a brute-force count (seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 20 })), { minLength: 3, maxLength: 60 }), fc.integer({ min: -1, max: 21 }), (rows, v) => {
        const labels = Int32Array.from(rows, (r) => r[0]);
        const groups = buildPeerGroups(matrixFromRows(rows.map((r) => [r[1]])), labels, 3, ['x']);
        for (let s = 0; s < 3; s++) {
          const peers = rows.filter((r) => r[0] === s).map((r) => r[1]);
          if (peers.length === 0) continue;
          const want = (100 * (peers.filter((p) => p < v).length + peers.filter((p) => p === v).length / 2)) / peers.length;
          expect(peerInsights(groups, s, [v]).percentiles[0]!.percentile).toBeCloseTo(want, 10);
        }
      }),
      { seed: 23, numRuns: 200 },
    );
  });
});

describe('choice of k', () => {
  it('silhouette equals scikit-learn 1.2.1 silhouette_score on a small set (0.7719015592010228)', () => {
    const m = matrixFromRows([[0, 0], [0.5, 0.2], [1, 0.1], [5, 5], [5.5, 4.8], [6, 5.2], [0, 6], [0.3, 5.5], [9, 0], [1, 1]]);
    const labels = Int32Array.of(0, 0, 0, 1, 1, 1, 2, 2, 3, 0);
    expect(silhouette(m, labels, 4, Int32Array.from({ length: 10 }, (_, i) => i))).toBeCloseTo(0.7719015592010228, 12);
  });

  it('the elbow is the point farthest below the chord', () => {
    expect(elbowIndex([1, 2, 3, 4, 5, 6], [1000, 400, 150, 130, 120, 110])).toBe(2);
    expect(elbowIndex([2, 3], [5, 4])).toBe(0);
  });

  it('finds k = 4 on four separated blobs by silhouette and by elbow', () => {
    const rng = mulberry32(8);
    const centres = [[0, 0], [10, 0], [0, 10], [10, 10]];
    const rows = Array.from({ length: 400 }, (_, i) => centres[i % 4]!.map((c) => c + rng.next() - 0.5));
    const r = chooseK(matrixFromRows(rows), { kMin: 2, kMax: 7, seed: 0, nInit: 3, silhouetteSample: 200 });
    expect(r.bestBySilhouette).toBe(4);
    expect(r.elbow).toBe(4);
    expect(r.candidates.map((c) => c.k)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(() => chooseK(matrixFromRows(rows), { kMin: 1, kMax: 3, seed: 0 })).toThrow(/k-range/);
  });
});
