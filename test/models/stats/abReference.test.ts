import { describe, expect, it } from 'vitest';
import { binomialInterval, twoProportionTest, type BinomialIntervalMethod } from '../../../src/models/stats/proportions.js';
import { summarize, welchTest } from '../../../src/models/stats/means.js';
import { sampleRatioMismatch } from '../../../src/models/stats/srm.js';
import { ValidationError } from '../../../src/core/errors.js';
import { maxAbsDiff, statsFixture } from './fixtures.js';

// ab_stats.json (statsmodels 0.13.5 / scipy 1.10.1) uses a − b = control − treatment; our
// functions report treatment − control, so differences are negated and intervals flipped.
const ab = statsFixture<any>('ab_stats.json');
const extra = statsFixture<any>('ab_extra.json');
const TOL = 1e-6; // the bar; most values agree to ~1e-12
const flip = ([lo, hi]: [number, number]): [number, number] => [-hi, -lo];

describe('two-proportion z test (statsmodels proportions_ztest, confint_proportions_2indep)', () => {
  for (const c of ab.two_proportion_z_tests) {
    it(`${c.input.a.conversions}/${c.input.a.n} vs ${c.input.b.conversions}/${c.input.b.n} within 1e-6`, () => {
      const r = twoProportionTest(c.input.a, c.input.b);
      expect(Math.abs(r.difference + c.diff_a_minus_b)).toBeLessThan(TOL);
      expect(Math.abs(r.relativeLift - c.relative_lift_b_over_a)).toBeLessThan(TOL);
      expect(Math.abs(r.pooledRate - c.pooled_p)).toBeLessThan(TOL);
      expect(Math.abs(r.z + c.pooled.z)).toBeLessThan(TOL);
      expect(Math.abs(r.pooledSe - c.pooled.se)).toBeLessThan(TOL);
      expect(Math.abs(r.pValue - c.pooled.p_two_sided)).toBeLessThan(TOL);
      expect(Math.abs(r.pValueTreatmentGreater - c.pooled.p_one_sided_a_less_than_b)).toBeLessThan(TOL);
      expect(Math.abs(r.zUnpooled + c.unpooled.z)).toBeLessThan(TOL);
      expect(Math.abs(r.unpooledSe - c.unpooled.se)).toBeLessThan(TOL);
      expect(Math.abs(r.pValueUnpooled - c.unpooled.p_two_sided)).toBeLessThan(TOL);
      expect(maxAbsDiff(r.waldInterval, flip(c.ci95_diff_wald_unpooled))).toBeLessThan(TOL);
      expect(maxAbsDiff(r.newcombeInterval, flip(c.ci95_diff_newcombe))).toBeLessThan(TOL);
      // the 2×2 χ² without correction is the same test: z² and the same p
      expect(Math.abs(r.z * r.z - c.chi2_2x2_no_correction.statistic)).toBeLessThan(TOL);
    });
  }

  it('rejects conversions above n, naming the field', () => {
    expect(() => twoProportionTest({ conversions: 11, n: 10 }, { conversions: 1, n: 10 })).toThrow(ValidationError);
    expect(() => twoProportionTest({ conversions: 11, n: 10 }, { conversions: 1, n: 10 })).toThrow(/control\.conversions/);
  });
});

describe('binomial intervals (statsmodels proportion_confint)', () => {
  const methods: [BinomialIntervalMethod, string][] = [
    ['wilson', 'wilson'],
    ['clopper_pearson', 'clopper_pearson'],
    ['agresti_coull', 'agresti_coull'],
    ['jeffreys', 'jeffreys'],
    ['wald', 'wald_normal'],
  ];
  it('37/410 matches ab_stats.json within 1e-6 (in fact 1e-12)', () => {
    const c = ab.proportion_intervals[0];
    for (const [m, key] of methods) {
      expect(maxAbsDiff(binomialInterval(37, 410, m), c[key]), m).toBeLessThan(1e-12);
    }
  });
  it('edge counts (0/20, 20/20, 1/50, 7/9, 1000/50000) at 95% and 90% within 1e-10', () => {
    for (const c of extra.binomial_intervals.cases) {
      for (const [m] of methods) {
        const key = m === 'wald' ? 'wald' : m;
        for (const conf of [95, 90]) {
          const got = binomialInterval(c.successes, c.n, m, conf / 100);
          expect(maxAbsDiff(got, c[`${key}_${conf}`]), `${m} ${c.successes}/${c.n} ${conf}%`).toBeLessThan(1e-10);
        }
      }
    }
  });
});

describe("Welch's t (scipy ttest_ind(equal_var=False), statsmodels tconfint_diff)", () => {
  for (const c of ab.welch_t_tests) {
    it(`${c.name} within 1e-6`, () => {
      const r = welchTest(c.input.a, c.input.b);
      const s = summarize(c.input.a);
      expect(Math.abs(s.variance - c.var_a_ddof1)).toBeLessThan(TOL);
      expect(Math.abs(r.difference + c.diff_a_minus_b)).toBeLessThan(TOL);
      expect(Math.abs(r.se - c.se_diff)).toBeLessThan(TOL);
      expect(Math.abs(r.t + c.welch.t)).toBeLessThan(TOL);
      expect(Math.abs(r.df - c.welch.df)).toBeLessThan(TOL);
      expect(Math.abs(r.pValue - c.welch.p_two_sided)).toBeLessThan(TOL);
      expect(Math.abs(r.pValueTreatmentGreater - c.welch.p_one_sided_a_less_than_b)).toBeLessThan(TOL);
      expect(maxAbsDiff(r.interval, flip(c.welch.ci95_diff))).toBeLessThan(TOL);
    });
  }
  it('rejects an arm with one value and a NaN value', () => {
    expect(() => welchTest([1], [1, 2])).toThrow(/control/);
    expect(() => welchTest([1, 2], [1, NaN])).toThrow(/treatment\[1\]/);
  });
});

describe('sample-ratio mismatch (scipy chisquare)', () => {
  it('two arms from ab_stats.json within 1e-6, alert flags at 0.001 / 0.01 / 0.05', () => {
    for (const c of ab.sample_ratio_mismatch_chi2) {
      const r = sampleRatioMismatch(c.input.counts, c.input.expected_ratio);
      expect(Math.abs(r.chiSquare - c.chi2)).toBeLessThan(TOL);
      expect(r.df).toBe(c.df);
      expect(Math.abs(r.pValue - c.p)).toBeLessThan(TOL);
      expect(maxAbsDiff(r.expectedCounts, c.expected_counts)).toBeLessThan(TOL);
      expect(r.alert).toBe(c.srm_flag_at_p_lt_0_001);
      expect(sampleRatioMismatch(c.input.counts, c.input.expected_ratio, 0.01).alert).toBe(c.srm_flag_at_p_lt_0_01);
      expect(sampleRatioMismatch(c.input.counts, c.input.expected_ratio, 0.05).alert).toBe(c.srm_flag_at_p_lt_0_05);
    }
  });
  it('k arms with unequal weights (ab_extra.json) within 1e-10 relative', () => {
    for (const c of extra.srm_k_arms.cases) {
      const r = sampleRatioMismatch(c.counts, c.weights);
      expect(Math.abs(r.chiSquare - c.chi2)).toBeLessThan(1e-9);
      expect(r.df).toBe(c.df);
      expect(Math.abs(r.pValue - c.p) / c.p).toBeLessThan(1e-10);
    }
  });
  it('rejects mismatched weights and negative counts', () => {
    expect(() => sampleRatioMismatch([10, 20], [1])).toThrow(/weights/);
    expect(() => sampleRatioMismatch([10, -1], [1, 1])).toThrow(/counts\[1\]/);
  });
});
