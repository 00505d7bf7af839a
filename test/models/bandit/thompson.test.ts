import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/core/random.js';
import { betaMean, betaVariance, contextVector, linearArm, linearMean, observe, pickByShare, predictive, sampleBeta, sampleTheta, thompsonShares, updated, warmStart } from '../../../src/models/bandit/index.js';
import { betaQuantile, regularizedBeta } from '../../../src/models/stats/incompleteBeta.js';
import { probabilityBetaGreater } from '../../../src/models/stats/bayes.js';

describe('Beta draws (Marsaglia-Tsang gammas)', () => {
  for (const [a, b] of [
    [2.5, 7],
    [0.3, 0.5],
    [40, 1200],
  ] as const) {
    it(`Beta(${a}, ${b}): moments within 4 standard errors and the KS distance to the exact CDF below 0.012`, () => {
      const rng = mulberry32(17);
      const n = 20_000;
      const x = Float64Array.from({ length: n }, () => sampleBeta({ alpha: a, beta: b }, rng)).sort();
      const mean = x.reduce((s, v) => s + v, 0) / n;
      const v = betaVariance({ alpha: a, beta: b });
      expect(Math.abs(mean - a / (a + b))).toBeLessThan(4 * Math.sqrt(v / n));
      let ks = 0;
      for (let i = 0; i < n; i++) {
        const f = regularizedBeta(x[i]!, a, b);
        ks = Math.max(ks, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
      }
      // The 1% critical value of the one-sample KS statistic at n = 20 000 is 1.63 / sqrt(n) = 0.0115.
      expect(ks).toBeLessThan(0.0115);
    });
  }
});

describe('Beta-Bernoulli posteriors', () => {
  it('a warm start is worth `strength` observations at its mean', () => {
    const arm = warmStart(0.12, 50);
    expect(arm.alpha).toBeCloseTo(6, 12);
    expect(arm.beta).toBeCloseTo(44, 12);
    expect(betaMean(updated(arm, 10, 40))).toBeCloseTo(16 / 100, 12);
  });

  it('95% credible intervals from a flat prior cover the true rate in 93-97% of 2,000 seeded arms', () => {
    const rng = mulberry32(5);
    let covered = 0;
    const arms = 2000;
    for (let k = 0; k < arms; k++) {
      const p = rng.next();
      let s = 0;
      const n = 1 + Math.floor(rng.next() * 60);
      for (let i = 0; i < n; i++) if (rng.next() < p) s++;
      const post = updated({ alpha: 1, beta: 1 }, s, n - s);
      if (p >= betaQuantile(0.025, post.alpha, post.beta) && p <= betaQuantile(0.975, post.alpha, post.beta)) covered++;
    }
    expect(covered / arms).toBeGreaterThan(0.93);
    expect(covered / arms).toBeLessThan(0.97);
  });

  it('Thompson shares of two arms match the exact P(X > Y) within Monte Carlo error', () => {
    const x = { alpha: 12, beta: 30 };
    const y = { alpha: 9, beta: 31 };
    const exact = probabilityBetaGreater(y, x); // P(X > Y)
    const draws = 40_000;
    const shares = thompsonShares([{ posterior: x, gain: 1, cost: 0 }, { posterior: y, gain: 1, cost: 0 }], mulberry32(2), draws);
    expect(Math.abs(shares[0]! - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / draws));
    expect(shares[0]! + shares[1]!).toBeCloseTo(1, 12);
  });

  it('arms compete on net value: a rarer acceptance worth more can win', () => {
    const shares = thompsonShares([{ posterior: { alpha: 300, beta: 700 }, gain: 10, cost: 1 }, { posterior: { alpha: 100, beta: 900 }, gain: 100, cost: 1 }], mulberry32(3), 2000);
    expect(shares[1]).toBeGreaterThan(0.99);
  });

  it('pickByShare inverts the cumulative shares and skips zero shares', () => {
    const s = [0, 0.25, 0, 0.75];
    expect(pickByShare(s, 0)).toBe(1);
    expect(pickByShare(s, 0.2499)).toBe(1);
    expect(pickByShare(s, 0.25)).toBe(3);
    expect(pickByShare(s, 0.999999)).toBe(3);
  });
});

describe('linear Thompson sampling', () => {
  it('the posterior mean recovers θ from noise-free rewards, and the predictive sd shrinks with data', () => {
    const theta = [0.1, -0.05, 0.2];
    const arm = linearArm(3, 1);
    const rng = mulberry32(4);
    const x0 = [1, 0.5, -0.5];
    const sd0 = predictive(arm, x0, 0.5).sd;
    for (let i = 0; i < 2000; i++) {
      const x = [1, rng.next() * 2 - 1, rng.next() * 2 - 1];
      observe(arm, x, x[0]! * theta[0]! + x[1]! * theta[1]! + x[2]! * theta[2]!);
    }
    const m = linearMean(arm);
    for (let j = 0; j < 3; j++) expect(m[j]).toBeCloseTo(theta[j]!, 2);
    expect(predictive(arm, x0, 0.5).sd).toBeLessThan(sd0 / 20);
  });

  it('draws of θ have the posterior covariance v² A⁻¹ (1-d check: variance v² / (λ + Σx²))', () => {
    const arm = linearArm(1, 2);
    for (let i = 0; i < 8; i++) observe(arm, [1], 1);
    const rng = mulberry32(8);
    const n = 20_000;
    const d = Float64Array.from({ length: n }, () => sampleTheta(arm, 0.5, rng)[0]!);
    const mean = d.reduce((s, v) => s + v, 0) / n;
    const v = d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
    expect(mean).toBeCloseTo(8 / 10, 2);
    expect(v).toBeCloseTo(0.25 / 10, 3);
  });

  it('removing an observation restores the arm exactly (erasure)', () => {
    const arm = linearArm(2, 1);
    observe(arm, [1, 2], 1);
    const before = { p: Array.from(arm.precision.data), m: Array.from(arm.moment) };
    observe(arm, [1, -3], 0.5);
    observe(arm, [1, -3], 0.5, -1);
    expect(Array.from(arm.precision.data)).toEqual(before.p);
    expect(Array.from(arm.moment)).toEqual(before.m);
  });

  it('context vectors: an intercept, then signed log1p; missing is 0', () => {
    expect(Array.from(contextVector({ a: Math.E - 1, b: null, c: -(Math.E - 1) }, ['a', 'b', 'c', 'd']))).toEqual([1, 1, 0, -1, 0]);
  });
});
