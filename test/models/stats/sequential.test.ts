import { describe, expect, it } from 'vitest';
import {
  alwaysValidSequence,
  mixingVarianceForHorizon,
  msprtHalfWidth,
  msprtLogLikelihoodRatio,
  type SequentialLook,
} from '../../../src/models/stats/sequential.js';
import { twoSidedNormalP } from '../../../src/models/stats/normal.js';
import { deriveSeed, mulberry32 } from '../../../src/core/random.js';

/** Daily cumulative looks at a two-arm conversion experiment, seeded. */
function simulate(seed: number, days: number, perDay: number, pControl: number, pTreatment: number): SequentialLook[] {
  const rng = mulberry32(seed);
  let xc = 0;
  let xt = 0;
  let n = 0;
  const looks: SequentialLook[] = [];
  for (let d = 0; d < days; d++) {
    for (let i = 0; i < perDay; i++) {
      if (rng.next() < pControl) xc++;
      if (rng.next() < pTreatment) xt++;
    }
    n += perDay;
    const pc = xc / n;
    const pt = xt / n;
    looks.push({ estimate: pt - pc, variance: Math.max((pc * (1 - pc) + pt * (1 - pt)) / n, 1e-12) });
  }
  return looks;
}

const DAYS = 30;
const PER_DAY = 200;
const SIMS = 300;
// planned horizon: the variance of the difference after 30 days at a 10% base rate
const tau2 = mixingVarianceForHorizon((2 * 0.1 * 0.9) / (DAYS * PER_DAY));

describe('mSPRT with a normal mixture (Johari et al. 2017)', () => {
  it('the interval is the inversion of the test: at its ends the p-value is exactly alpha', () => {
    const look = { estimate: 0.012, variance: 3e-5 };
    const [r] = alwaysValidSequence([look], { mixingVariance: tau2, alpha: 0.05 });
    for (const end of r!.interval) {
      const p = Math.exp(-msprtLogLikelihoodRatio(look, tau2, end));
      expect(p).toBeCloseTo(0.05, 12);
    }
  });

  it('the horizon mixing variance solves r = 2 ln(1/α) + ln(1 + r) and gives the narrowest interval there', () => {
    const v = 1e-4;
    const t2 = mixingVarianceForHorizon(v, 0.05);
    const r = t2 / v;
    expect(r).toBeCloseTo(2 * Math.log(20) + Math.log1p(r), 12);
    expect(r).toBeGreaterThan(8);
    expect(r).toBeLessThan(8.3);
    const best = msprtHalfWidth(v, t2, 0.05);
    for (const f of [0.5, 0.9, 1.1, 2]) expect(msprtHalfWidth(v, t2 * f, 0.05)).toBeGreaterThan(best);
  });

  it('p-values only fall and intervals only narrow from look to look', () => {
    const res = alwaysValidSequence(simulate(11, DAYS, PER_DAY, 0.1, 0.11), { mixingVariance: tau2 });
    for (let i = 1; i < res.length; i++) {
      expect(res[i]!.pValue).toBeLessThanOrEqual(res[i - 1]!.pValue);
      expect(res[i]!.interval[0]).toBeGreaterThanOrEqual(res[i - 1]!.interval[0]);
      expect(res[i]!.interval[1]).toBeLessThanOrEqual(res[i - 1]!.interval[1]);
    }
  });

  it(`${SIMS} seeded A/A tests peeked daily for ${DAYS} days: mSPRT false-positive rate <= 5%, naive z-test peeking far above`, () => {
    let sequentialRejections = 0;
    let naiveRejections = 0;
    for (let s = 0; s < SIMS; s++) {
      const looks = simulate(deriveSeed(2017, s), DAYS, PER_DAY, 0.1, 0.1);
      if (alwaysValidSequence(looks, { mixingVariance: tau2, alpha: 0.05 }).some((r) => r.significant)) sequentialRejections++;
      if (looks.some((l) => twoSidedNormalP(l.estimate / Math.sqrt(l.variance)) < 0.05)) naiveRejections++;
    }
    if (process.env.SHOW_MEASURES) console.log('A/A', { sequential: sequentialRejections / SIMS, naive: naiveRejections / SIMS });
    expect(sequentialRejections / SIMS).toBeLessThanOrEqual(0.05);
    // the contrast shows the simulation can see the problem the method solves
    expect(naiveRejections / SIMS).toBeGreaterThan(0.15);
  });

  it(`${SIMS} seeded A/B tests (10% → 12%): the running interval covers the true uplift at every look in >= 95% of runs, and >= 60% reject by day 30 (fixed-horizon power ≈ 94%; the price of peeking)`, () => {
    let covered = 0;
    let rejected = 0;
    for (let s = 0; s < SIMS; s++) {
      const res = alwaysValidSequence(simulate(deriveSeed(1512, s), DAYS, PER_DAY, 0.1, 0.12), { mixingVariance: tau2 });
      if (res.every((r) => r.interval[0] <= 0.02 && 0.02 <= r.interval[1])) covered++;
      if (res.at(-1)!.significant) rejected++;
    }
    if (process.env.SHOW_MEASURES) console.log('A/B', { covered: covered / SIMS, rejected: rejected / SIMS });
    expect(covered / SIMS).toBeGreaterThanOrEqual(0.95);
    expect(rejected / SIMS).toBeGreaterThanOrEqual(0.6);
  });

  it('rejects a zero variance and a bad mixing variance, naming the field', () => {
    expect(() => alwaysValidSequence([{ estimate: 0, variance: 0 }], { mixingVariance: 1 })).toThrow(/looks\[0\]\.variance/);
    expect(() => alwaysValidSequence([], { mixingVariance: 0 })).toThrow(/mixingVariance/);
  });
});
