import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { binomialInterval, twoProportionTest, type BinomialIntervalMethod } from '../../../src/models/stats/proportions.js';
import { logGamma } from '../../../src/models/stats/incompleteGamma.js';

const METHODS: BinomialIntervalMethod[] = ['wilson', 'clopper_pearson', 'agresti_coull', 'jeffreys', 'wald'];

/** P(X = x) for X ~ Binomial(n, p). */
function binomialPmf(x: number, n: number, p: number): number {
  if (p === 0) return x === 0 ? 1 : 0;
  if (p === 1) return x === n ? 1 : 0;
  return Math.exp(logGamma(n + 1) - logGamma(x + 1) - logGamma(n - x + 1) + x * Math.log(p) + (n - x) * Math.log1p(-p));
}

describe('binomial interval properties', () => {
  it('every interval lies in [0, 1], is ordered, and contains p̂ (Jeffreys excepted at 0/n and n/n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0.5, max: 0.999, noNaN: true }), (n, share, conf) => {
        const x = Math.round(share * n);
        for (const m of METHODS) {
          const [lo, hi] = binomialInterval(x, n, m, conf);
          expect(lo).toBeGreaterThanOrEqual(0);
          expect(hi).toBeLessThanOrEqual(1);
          expect(lo).toBeLessThanOrEqual(hi);
          if (m === 'jeffreys' && (x === 0 || x === n)) continue;
          expect(lo).toBeLessThanOrEqual(x / n + 1e-15);
          expect(hi).toBeGreaterThanOrEqual(x / n - 1e-15);
        }
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('Clopper–Pearson is exact: its coverage is >= 95% for every p on a grid at n = 40 (computed, not simulated)', () => {
    const n = 40;
    const intervals = Array.from({ length: n + 1 }, (_, x) => binomialInterval(x, n, 'clopper_pearson'));
    let worstCp = 1;
    let worstWald = 1;
    const wald = Array.from({ length: n + 1 }, (_, x) => binomialInterval(x, n, 'wald'));
    for (let k = 1; k < 400; k++) {
      const p = k / 400;
      let cp = 0;
      let w = 0;
      for (let x = 0; x <= n; x++) {
        const pr = binomialPmf(x, n, p);
        if (intervals[x]![0] <= p && p <= intervals[x]![1]) cp += pr;
        if (wald[x]![0] <= p && p <= wald[x]![1]) w += pr;
      }
      worstCp = Math.min(worstCp, cp);
      worstWald = Math.min(worstWald, w);
    }
    expect(worstCp).toBeGreaterThanOrEqual(0.95 - 1e-12);
    // the contrast: Wald's worst-case coverage at n = 40 is far below nominal (Brown, Cai & DasGupta 2001)
    expect(worstWald).toBeLessThan(0.5);
  });
});

describe('two-proportion test properties', () => {
  it('swapping the arms negates z and the difference and mirrors both intervals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 3000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (na, nb, sa, sb) => {
        const a = { conversions: Math.round(sa * na), n: na };
        const b = { conversions: Math.round(sb * nb), n: nb };
        const ab = twoProportionTest(a, b);
        const ba = twoProportionTest(b, a);
        expect(ba.z).toBeCloseTo(-ab.z, 10);
        expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
        expect(ba.newcombeInterval[0]).toBeCloseTo(-ab.newcombeInterval[1], 12);
        expect(ba.waldInterval[1]).toBeCloseTo(-ab.waldInterval[0], 12);
        expect(ab.newcombeInterval[0]).toBeGreaterThanOrEqual(-1 - 1e-12);
        expect(ab.newcombeInterval[1]).toBeLessThanOrEqual(1 + 1e-12);
      }),
      { seed: 15, numRuns: 300 },
    );
  });
});
