import { describe, expect, it } from 'vitest';
import { compareRatios, ratioEstimate, ratioEstimateFromSums } from '../../../src/models/stats/deltaMethod.js';
import { cupedTest } from '../../../src/models/stats/cuped.js';
import { mulberry32, normal } from '../../../src/core/random.js';
import { maxAbsDiff, relErr, statsFixture } from './fixtures.js';

const extra = statsFixture<any>('ab_extra.json');

describe('delta method for a ratio metric (revenue per exposure, customers randomised)', () => {
  const ref = extra.delta_method;
  const arms = { a: ref.arms.a, b: ref.arms.b };
  const est = (k: 'a' | 'b') => ratioEstimate({ numerator: arms[k].numerator, denominator: arms[k].denominator });

  it('ratio and variance match the numpy computation within 1e-10 relative', () => {
    for (const k of ['a', 'b'] as const) {
      expect(relErr(est(k).ratio, arms[k].ratio)).toBeLessThan(1e-12);
      expect(relErr(est(k).variance, arms[k].variance)).toBeLessThan(1e-10);
    }
  });

  it('the variance agrees with a 4000-resample bootstrap within 6% (an outside check of the formula)', () => {
    for (const k of ['a', 'b'] as const) expect(relErr(est(k).variance, arms[k].bootstrap_variance)).toBeLessThan(0.06);
  });

  it('difference and relative lift with their intervals match within 1e-6', () => {
    const r = compareRatios(est('a'), est('b'));
    expect(Math.abs(r.difference - ref.diff_b_minus_a)).toBeLessThan(1e-10);
    expect(Math.abs(r.se - ref.se_diff)).toBeLessThan(1e-10);
    expect(Math.abs(r.pValue - ref.p_two_sided)).toBeLessThan(1e-10);
    expect(maxAbsDiff(r.interval, ref.ci95_diff)).toBeLessThan(1e-6);
    expect(Math.abs(r.relativeLift - ref.relative_lift)).toBeLessThan(1e-10);
    expect(Math.abs(r.relativeSe - ref.se_relative_lift)).toBeLessThan(1e-10);
    expect(maxAbsDiff(r.relativeInterval, ref.ci95_relative_lift)).toBeLessThan(1e-6);
  });

  it('running sums give the same estimate as the rows (1e-9 relative)', () => {
    const y: number[] = arms.a.numerator;
    const x: number[] = arms.a.denominator;
    let sumCrossProduct = 0;
    for (let i = 0; i < y.length; i++) sumCrossProduct += x[i]! * y[i]!;
    const fromSums = ratioEstimateFromSums({
      n: y.length,
      sumNumerator: y.reduce((s, v) => s + v, 0),
      sumDenominator: x.reduce((s, v) => s + v, 0),
      sumNumeratorSquared: y.reduce((s, v) => s + v * v, 0),
      sumDenominatorSquared: x.reduce((s, v) => s + v * v, 0),
      sumCrossProduct,
    });
    expect(relErr(fromSums.variance, est('a').variance)).toBeLessThan(1e-9);
  });

  it('over 2000 seeded experiments the delta variance matches the spread of the ratio (within 8%), while the naive per-exposure variance understates it', () => {
    // Customers have 1–6 exposures and a customer-level propensity, so exposures of one
    // customer are correlated: the situation the delta method is for.
    const rng = mulberry32(1504);
    const ratios: number[] = [];
    const deltaVars: number[] = [];
    const naiveVars: number[] = [];
    for (let e = 0; e < 2000; e++) {
      const n = 200;
      const y = new Float64Array(n);
      const x = new Float64Array(n);
      let exposures = 0;
      for (let i = 0; i < n; i++) {
        const k = 1 + Math.floor(rng.next() * 6);
        const propensity = Math.min(0.9, Math.max(0, 0.15 + 0.1 * normal(rng)));
        let revenue = 0;
        for (let j = 0; j < k; j++) if (rng.next() < propensity) revenue += 20;
        y[i] = revenue;
        x[i] = k;
        exposures += k;
      }
      const r = ratioEstimate({ numerator: y, denominator: x });
      ratios.push(r.ratio);
      deltaVars.push(r.variance);
      // per-exposure Bernoulli×20 variance treats every exposure as independent
      const p = r.ratio / 20;
      naiveVars.push((400 * p * (1 - p)) / exposures);
    }
    const mean = ratios.reduce((s, v) => s + v, 0) / ratios.length;
    const empirical = ratios.reduce((s, v) => s + (v - mean) ** 2, 0) / (ratios.length - 1);
    const avgDelta = deltaVars.reduce((s, v) => s + v, 0) / deltaVars.length;
    const avgNaive = naiveVars.reduce((s, v) => s + v, 0) / naiveVars.length;
    if (process.env.SHOW_MEASURES) console.log('delta MC', { delta: avgDelta / empirical, naive: avgNaive / empirical });
    expect(relErr(avgDelta, empirical)).toBeLessThan(0.08);
    expect(avgNaive / empirical).toBeLessThan(0.85);
  });

  it('rejects a zero mean denominator and unequal lengths, naming the field', () => {
    expect(() => ratioEstimate({ numerator: [1, 2], denominator: [0, 0] })).toThrow(/arm\.denominator.*positive_mean/);
    expect(() => ratioEstimate({ numerator: [1, 2], denominator: [1] })).toThrow(/arm\.denominator/);
  });
});

describe('CUPED with a pre-period covariate', () => {
  const ref = extra.cuped;
  const r = cupedTest({ metric: ref.a.y, covariate: ref.a.x }, { metric: ref.b.y, covariate: ref.b.x });

  it('theta, adjusted means and variances match numpy within 1e-10 relative', () => {
    expect(relErr(r.theta, ref.theta)).toBeLessThan(1e-10);
    expect(relErr(r.adjustedControl.mean, ref.adjusted_mean_a)).toBeLessThan(1e-10);
    expect(relErr(r.adjustedTreatment.mean, ref.adjusted_mean_b)).toBeLessThan(1e-10);
    expect(relErr(r.adjustedControl.variance, ref.adjusted_var_a)).toBeLessThan(1e-10);
    expect(relErr(r.adjustedTreatment.variance, ref.adjusted_var_b)).toBeLessThan(1e-10);
    expect(relErr(r.varianceReduction, ref.variance_reduction)).toBeLessThan(1e-10);
  });

  it("Welch's test on the adjusted values matches scipy/statsmodels within 1e-6", () => {
    expect(Math.abs(r.test.difference - ref.diff_b_minus_a)).toBeLessThan(1e-6);
    expect(Math.abs(r.test.t - ref.t)).toBeLessThan(1e-6);
    expect(Math.abs(r.test.pValue - ref.p_two_sided)).toBeLessThan(1e-6);
    expect(maxAbsDiff(r.test.interval, ref.ci95_diff)).toBeLessThan(1e-6);
    expect(Math.abs(r.unadjusted.t - ref.raw_t)).toBeLessThan(1e-6);
    expect(Math.abs(r.unadjusted.pValue - ref.raw_p_two_sided)).toBeLessThan(1e-6);
  });

  it('a constant covariate leaves the metric unadjusted', () => {
    const flat = cupedTest({ metric: [1, 2, 3], covariate: [5, 5, 5] }, { metric: [2, 3, 5], covariate: [5, 5, 5] });
    expect(flat.theta).toBe(0);
    expect(flat.test.t).toBeCloseTo(flat.unadjusted.t, 12);
  });
});
