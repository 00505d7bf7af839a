import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { distributionReference, kolmogorovSurvival, ksAgainst, ksTwoSample, populationStabilityIndex, psiAgainst } from '../../../src/models/metrics/drift.js';
import { calibrationCurve, liftAtTop, spearman } from '../../../src/models/metrics/calibration.js';

interface Fixture {
  ks: { name: string; a: number[]; b: number[]; statistic: number; kstwobign_sf: number }[];
  kolmogorov: { x: number; sf: number }[];
  calibration: { p: number[]; y: number[]; prob_true: number[]; prob_pred: number[] };
  spearman: { a: number[]; b: number[]; rho: number };
}
const ref = JSON.parse(readFileSync(new URL('../../fixtures/drift/drift_reference.json', import.meta.url), 'utf8')) as Fixture;

describe('KS against scipy.stats.ks_2samp', () => {
  for (const c of ref.ks) {
    it(`${c.name}: statistic to 1e-12, asymptotic p-value (kstwobign.sf) to 1e-9`, () => {
      const r = ksTwoSample(c.a, c.b);
      expect(Math.abs(r.statistic - c.statistic)).toBeLessThan(1e-12);
      expect(Math.abs(r.pValue - c.kstwobign_sf)).toBeLessThan(1e-9);
      expect(ksTwoSample(c.b, c.a).statistic).toBeCloseTo(r.statistic, 14);
    });
  }
  it('Kolmogorov survival function matches scipy.stats.kstwobign.sf to 1e-10 on both series', () => {
    for (const k of ref.kolmogorov) expect(Math.abs(kolmogorovSurvival(k.x) - k.sf)).toBeLessThan(1e-10);
  });
  it('KS against a stored 201-point reference is within 1/200 of the full two-sample statistic', () => {
    for (const c of ref.ks) {
      const stored = distributionReference(c.a, 10, 201);
      expect(Math.abs(ksAgainst(stored, c.b).statistic - ksTwoSample(c.a, c.b).statistic)).toBeLessThanOrEqual(1 / 200 + 1e-12);
    }
  });
});

describe('population stability index', () => {
  it('matches the hand-computed value', () => {
    // (0.25-0.5)ln(0.25/0.5) + (0.75-0.5)ln(0.75/0.5) = 0.25 ln 2 + 0.25 ln 1.5
    expect(populationStabilityIndex([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.25 * Math.log(2) + 0.25 * Math.log(1.5), 14);
    // A bin empty now contributes through the floor, not infinity.
    expect(populationStabilityIndex([0.5, 0.5], [0, 1])).toBeCloseTo((1e-4 - 0.5) * Math.log(1e-4 / 0.5) + 0.5 * Math.log(2), 12);
  });
  it('bins on reference deciles: the reference itself has PSI 0, a shifted sample a large one, missing values count', () => {
    const a = Array.from({ length: 1000 }, (_, i) => i);
    const r = distributionReference(a, 10);
    expect(r.edges.length).toBe(9);
    expect(psiAgainst(r, a).psi).toBeCloseTo(0, 12);
    expect(psiAgainst(r, a.map((x) => x + 500)).psi).toBeGreaterThan(1);
    const withGaps = a.map((x, i) => (i % 5 === 0 ? Number.NaN : x));
    const p = psiAgainst(r, withGaps);
    expect(p.actual[p.actual.length - 1]).toBeCloseTo(0.2, 12);
    expect(p.psi).toBeGreaterThan(0.5);
  });
  it('is never negative and is 0 only for equal shares (seeded property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 5, maxLength: 200 }), fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 200 }), (a, b) => {
        const r = distributionReference(a, 10);
        expect(psiAgainst(r, b).psi).toBeGreaterThanOrEqual(0);
        expect(psiAgainst(r, a).psi).toBeCloseTo(0, 9);
        const ks = ksTwoSample(a, b);
        expect(ks.statistic).toBeGreaterThanOrEqual(0);
        expect(ks.statistic).toBeLessThanOrEqual(1);
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe('calibration, lift, Spearman', () => {
  it('calibration curve matches scikit-learn calibration_curve(strategy=uniform) to 1e-12', () => {
    const c = calibrationCurve(ref.calibration.p, ref.calibration.y, 10, 'uniform');
    expect(c.bins.map((b) => b.observedRate).length).toBe(ref.calibration.prob_true.length);
    c.bins.forEach((b, k) => {
      expect(Math.abs(b.observedRate - ref.calibration.prob_true[k]!)).toBeLessThan(1e-12);
      expect(Math.abs(b.meanPredicted - ref.calibration.prob_pred[k]!)).toBeLessThan(1e-12);
    });
  });
  it('perfectly calibrated bins have ECE 0; a constant offset shows up in full', () => {
    const p = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    const y = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(calibrationCurve(p, y).ece).toBeCloseTo(0, 14);
    expect(calibrationCurve(p.map(() => 0.3), y).ece).toBeCloseTo(0.2, 14);
  });
  it('lift at the top decile: all positives on top of 100 rows with 10% rate gives 10', () => {
    const s = Array.from({ length: 100 }, (_, i) => 100 - i);
    const y = s.map((_, i) => (i < 10 ? 1 : 0));
    expect(liftAtTop(s, y)).toBe(10);
    expect(liftAtTop(s.map((x) => -x), y)).toBe(0);
  });
  it('Spearman matches scipy.stats.spearmanr (with ties) to 1e-12', () => {
    expect(Math.abs(spearman(ref.spearman.a, ref.spearman.b) - ref.spearman.rho)).toBeLessThan(1e-12);
  });
});

describe('drift report', () => {
  it('a model scoring everyone the same (and unchanged features) shows no drift against itself: no rounding artefacts', async () => {
    const { buildDriftReference, checkDrift } = await import('../../../src/models/metrics/driftCheck.js');
    const n = 300;
    const values = Float64Array.from({ length: n * 2 }, (_, k) => (k % 2 === 0 ? 1 / 3 + (k % 7) : Math.PI * (k % 11)));
    const scores = new Float64Array(n).fill(0.123456789);
    const ref = JSON.parse(JSON.stringify(buildDriftReference(['a', 'b'], values, scores)));
    const r = checkDrift({ modelId: 'm@1', checkedAt: 'now', window: { from: 'a', to: 'b' }, names: ['a', 'b'], values, scores }, ref);
    expect(r.score.psi).toBe(0);
    expect(r.score.ksStatistic).toBe(0);
    // Features: within the quantile grid's resolution (201 points: 1/200).
    for (const f of r.features) expect(f.ksStatistic).toBeLessThanOrEqual(1 / 200);
    expect(r.drifted).toBe(false);
  });
});
