import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auc, logLoss, poissonDeviance, rmse } from '../../../src/models/metrics/index.js';

describe('auc', () => {
  it('matches hand-computed values, ties counting half (as scikit-learn roc_auc_score)', () => {
    // sklearn.metrics.roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) == 0.75
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 15);
    // one tied pair of a positive and a negative: (3 + 0.5) / 4
    expect(auc([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1])).toBeCloseTo(0.875, 15);
    expect(auc([1, 2, 3], [1, 1, 1])).toBeNaN();
  });

  it('equals the pairwise definition on random data', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 40 }), (pairs) => {
        const s = pairs.map((p) => p[0]);
        const y = pairs.map((p) => p[1]);
        let num = 0;
        let den = 0;
        for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) if (y[i] === 1 && y[j] === 0) {
          den++;
          num += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
        }
        const a = auc(s, y);
        if (den === 0) expect(a).toBeNaN();
        else expect(a).toBeCloseTo(num / den, 12);
      }),
      { seed: 3, numRuns: 200 },
    );
  });
});

describe('logLoss, rmse, poissonDeviance', () => {
  it('match hand-computed values', () => {
    expect(logLoss([0.8, 0.3], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 15);
    expect(logLoss([0, 1], [0, 1])).toBeLessThan(1e-14); // clipped, finite
    expect(Number.isFinite(logLoss([1], [0]))).toBe(true);
    expect(rmse([1, 3], [2, 5])).toBeCloseTo(Math.sqrt(2.5), 15);
    expect(poissonDeviance([2], [0])).toBeCloseTo(4, 15);
    expect(poissonDeviance([1, 2], [1, 2])).toBeCloseTo(0, 15);
  });

  it('reject mismatched lengths', () => {
    expect(() => logLoss([0.5], [1, 0])).toThrow(/1 predictions but 2 labels/);
  });
});
