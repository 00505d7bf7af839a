import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chiSquareSurvival, logGamma, regularizedGammaP, regularizedGammaQ } from '../../../src/models/stats/incompleteGamma.js';
import { normalCdf, normalQuantile, normalSurvival, twoSidedNormalP } from '../../../src/models/stats/normal.js';
import { fixtureJson, relErr } from '../survival/fixtures.js';

/** pchisq / pnorm / qnorm / lgamma values from R 4.2.2 (test/fixtures/survival/generate_extra.R). */
const r = fixtureJson<{
  distributions: {
    chi_x: number[];
    chi_df: number[];
    chi_upper: number[][];
    z: number[];
    pnorm_upper: number[];
    p: number[];
    qnorm: number[];
    lgamma_x: number[];
    lgamma: number[];
  };
}>('r_extra.json').distributions;

describe('distribution functions against R', () => {
  it('chi-square upper tail within 1e-12 relative, down to 1e-280', () => {
    r.chi_x.forEach((x, i) =>
      r.chi_df.forEach((df, j) => {
        const want = r.chi_upper[i]![j]!;
        expect(relErr(chiSquareSurvival(x, df), want)).toBeLessThan(1e-12);
      }),
    );
  });

  it('normal upper tail within 1e-12 relative (including 1e-350-ish underflow to 0)', () => {
    r.z.forEach((z, i) => {
      const want = r.pnorm_upper[i]!;
      if (want === 0) expect(normalSurvival(z)).toBe(0);
      else expect(relErr(normalSurvival(z), want)).toBeLessThan(1e-12);
    });
  });

  it('normal quantile within 1e-14 relative', () => {
    r.p.forEach((p, i) => expect(Math.abs(normalQuantile(p) - r.qnorm[i]!)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(r.qnorm[i]!))));
  });

  it('log-gamma within 1e-13 relative', () => {
    r.lgamma_x.forEach((x, i) => expect(Math.abs(logGamma(x) - r.lgamma[i]!)).toBeLessThan(1e-13 * Math.max(1, Math.abs(r.lgamma[i]!))));
  });
});

describe('distribution identities (seeded properties)', () => {
  it('P + Q = 1 and both lie in [0, 1]', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 500, noNaN: true }), fc.double({ min: 0, max: 2000, noNaN: true }), (a, x) => {
        const p = regularizedGammaP(a, x);
        const q = regularizedGammaQ(a, x);
        return p >= 0 && p <= 1 && q >= 0 && q <= 1 && Math.abs(p + q - 1) < 1e-12;
      }),
      { seed: 6, numRuns: 300 },
    );
  });

  it('the normal quantile inverts the CDF, and chi-square with 1 df is a squared normal', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1 - 1e-12, noNaN: true }), (p) => {
        const z = normalQuantile(p);
        const back = normalCdf(z);
        const sq = chiSquareSurvival(z * z, 1);
        return Math.abs(back - p) < 1e-13 + 1e-12 * p && Math.abs(sq - twoSidedNormalP(z)) < 1e-12 * Math.max(1e-300, sq) + 1e-15;
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
