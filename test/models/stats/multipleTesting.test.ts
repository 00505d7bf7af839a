import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { benjaminiHochbergAdjust, holmAdjust } from '../../../src/models/stats/multipleTesting.js';
import { maxAbsDiff, statsFixture } from './fixtures.js';

const ref = statsFixture<any>('ab_extra.json').multiple_testing;

describe('Holm and Benjamini–Hochberg (statsmodels multipletests)', () => {
  it('adjusted p-values match within 1e-12, ties included', () => {
    for (const c of ref.cases) {
      expect(maxAbsDiff(holmAdjust(c.p), c.holm)).toBeLessThan(1e-12);
      expect(maxAbsDiff(benjaminiHochbergAdjust(c.p), c.bh)).toBeLessThan(1e-12);
    }
  });

  it('properties: adjusted >= raw, <= 1, order-preserving, BH <= Holm', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }), (p) => {
        const holm = holmAdjust(p);
        const bh = benjaminiHochbergAdjust(p);
        p.forEach((v, i) => {
          expect(holm[i]!).toBeGreaterThanOrEqual(v);
          expect(bh[i]!).toBeGreaterThanOrEqual(v * (1 - 1e-15)); // m·p/m rounds
          expect(holm[i]!).toBeLessThanOrEqual(1);
          expect(bh[i]!).toBeLessThanOrEqual(holm[i]! + 1e-15);
          p.forEach((w, j) => {
            if (v < w) {
              expect(holm[i]!).toBeLessThanOrEqual(holm[j]!);
              expect(bh[i]!).toBeLessThanOrEqual(bh[j]!);
            }
          });
        });
      }),
      { seed: 15, numRuns: 200 },
    );
  });

  it('rejects a p-value outside [0, 1]', () => {
    expect(() => holmAdjust([0.1, 1.2])).toThrow(/pValues\[1\]/);
  });
});
