import { describe, expect, it } from 'vitest';
import { twoProportionTest } from '../../../src/models/stats/proportions.js';
import { welchTest } from '../../../src/models/stats/means.js';
import { cupedTest } from '../../../src/models/stats/cuped.js';
import { compareRatios, ratioEstimate } from '../../../src/models/stats/deltaMethod.js';
import { deriveSeed, mulberry32, normal, type Rng } from '../../../src/core/random.js';

/*
 * Seeded coverage simulations: a 95% interval must contain the true effect in about 95% of
 * experiments. With 1000 runs the binomial standard error is 0.7 points, so 93–97% is the
 * band (the target for the twin); a wrong variance formula misses it by far more.
 */
const RUNS = 1000;
const inBand = (hits: number) => {
  const rate = hits / RUNS;
  if (process.env.SHOW_MEASURES) console.log('coverage', expect.getState().currentTestName, rate);
  expect(rate).toBeGreaterThanOrEqual(0.93);
  expect(rate).toBeLessThanOrEqual(0.97);
};
const covers = ([lo, hi]: [number, number], truth: number) => lo <= truth && truth <= hi;
const binomial = (rng: Rng, n: number, p: number) => {
  let x = 0;
  for (let i = 0; i < n; i++) if (rng.next() < p) x++;
  return x;
};

describe('95% intervals cover the true effect in 93–97% of 1000 seeded experiments', () => {
  it('two proportions (10% → 12%, 2000 per arm): Wald and Newcombe', () => {
    let wald = 0;
    let newcombe = 0;
    for (let r = 0; r < RUNS; r++) {
      const rng = mulberry32(deriveSeed(41, r));
      const t = twoProportionTest({ conversions: binomial(rng, 2000, 0.1), n: 2000 }, { conversions: binomial(rng, 2000, 0.12), n: 2000 });
      if (covers(t.waldInterval, 0.02)) wald++;
      if (covers(t.newcombeInterval, 0.02)) newcombe++;
    }
    inBand(wald);
    inBand(newcombe);
  });

  it('Welch on skewed revenue (90% zeros, lognormal spend), 1500 per arm', () => {
    // E[revenue] = 0.1 · exp(3 + 0.8²/2); treatment spends 10% more when it spends
    const mean = (scale: number) => 0.1 * scale * Math.exp(3 + 0.32);
    let hits = 0;
    for (let r = 0; r < RUNS; r++) {
      const rng = mulberry32(deriveSeed(42, r));
      const draw = (scale: number) => Float64Array.from({ length: 1500 }, () => (rng.next() < 0.1 ? scale * Math.exp(3 + 0.8 * normal(rng)) : 0));
      if (covers(welchTest(draw(1), draw(1.1)).interval, mean(1.1) - mean(1))) hits++;
    }
    inBand(hits);
  });

  it('CUPED with a correlated pre-period covariate, 400 per arm', () => {
    let hits = 0;
    for (let r = 0; r < RUNS; r++) {
      const rng = mulberry32(deriveSeed(43, r));
      const arm = (lift: number) => {
        const covariate = Float64Array.from({ length: 400 }, () => 100 + 30 * normal(rng));
        const metric = covariate.map((x) => 0.8 * x + 15 * normal(rng) + lift);
        return { metric, covariate };
      };
      if (covers(cupedTest(arm(0), arm(3)).test.interval, 3)) hits++;
    }
    inBand(hits);
  });

  it('delta-method relative lift of revenue per exposure, 1000 customers per arm', () => {
    // each customer: 1–4 exposures, each converting with a customer-level propensity, £20 a sale
    const truth = 0.18 / 0.15 - 1; // revenue per exposure is £20 × rate in each arm
    let hits = 0;
    for (let r = 0; r < RUNS; r++) {
      const rng = mulberry32(deriveSeed(44, r));
      const arm = (rate: number) => {
        const numerator = new Float64Array(1000);
        const denominator = new Float64Array(1000);
        for (let i = 0; i < 1000; i++) {
          const k = 1 + Math.floor(rng.next() * 4);
          const p = rate * (rng.next() < 0.5 ? 0.5 : 1.5); // mean propensity = rate
          let y = 0;
          for (let j = 0; j < k; j++) if (rng.next() < p) y += 20;
          numerator[i] = y;
          denominator[i] = k;
        }
        return ratioEstimate({ numerator, denominator });
      };
      if (covers(compareRatios(arm(0.15), arm(0.18)).relativeInterval, truth)) hits++;
    }
    inBand(hits);
  });
});
