import { describe, expect, it } from 'vitest';
import {
  betaBinomialComparison,
  exactProbabilityGreater,
  normalComparison,
  numericalProbabilityGreater,
} from '../../../src/models/stats/bayes.js';
import { mulberry32, normal } from '../../../src/core/random.js';
import { relErr, statsFixture } from './fixtures.js';

const extra = statsFixture<any>('ab_extra.json');

describe('Beta-Binomial chance to beat control and expected loss (scipy quad of the definitions)', () => {
  for (const c of extra.beta_binomial.cases) {
    it(`${c.a.conversions}/${c.a.n} vs ${c.b.conversions}/${c.b.n}: chance within 1e-9, losses within 1e-9 absolute`, () => {
      const r = betaBinomialComparison({ conversions: c.a.conversions, n: c.a.n }, { conversions: c.b.conversions, n: c.b.n });
      expect(Math.abs(r.chanceToBeatControl - c.chance_b_beats_a)).toBeLessThan(1e-9);
      expect(Math.abs(r.expectedLossTreatment - c.expected_loss_choosing_b)).toBeLessThan(1e-9);
      expect(Math.abs(r.expectedLossControl - c.expected_loss_choosing_a)).toBeLessThan(1e-9);
      // loss(control) − loss(treatment) = E[p_t − p_c], the difference of posterior means
      expect(r.expectedLossControl - r.expectedLossTreatment).toBeCloseTo(r.treatment.mean - r.control.mean, 12);
    });
  }

  it("Evan Miller's exact sum and the quadrature agree within 1e-10 (integer shapes up to ~1e3)", () => {
    const cases = [
      [{ alpha: 121, beta: 881 }, { alpha: 151, beta: 851 }],
      [{ alpha: 3, beta: 9 }, { alpha: 2, beta: 40 }],
      [{ alpha: 1001, beta: 49001 }, { alpha: 1101, beta: 48901 }],
    ] as const;
    for (const [x, y] of cases) {
      expect(Math.abs(exactProbabilityGreater(x, y) - numericalProbabilityGreater(x, y))).toBeLessThan(1e-10);
    }
  });

  it('shapes below 1 (infinite density at an end) integrate to the exact complement within 1e-10', () => {
    const y = { alpha: 0.5, beta: 20.5 }; // Jeffreys posterior after 0 of 20
    const x = { alpha: 3, beta: 9 };
    expect(Math.abs(numericalProbabilityGreater(x, y) - (1 - exactProbabilityGreater(y, x)))).toBeLessThan(1e-10);
    const z = { alpha: 20.5, beta: 0.5 }; // 20 of 20
    expect(Math.abs(numericalProbabilityGreater(x, z) - (1 - exactProbabilityGreater(z, x)))).toBeLessThan(1e-10);
    const both = { alpha: 0.5, beta: 0.5 };
    expect(Math.abs(numericalProbabilityGreater(x, both) - (1 - exactProbabilityGreater(both, x)))).toBeLessThan(1e-10);
  });

  it('with the Jeffreys prior (non-integer shapes) the quadrature matches a 400k-draw Monte Carlo within 4 standard errors', () => {
    const r = betaBinomialComparison({ conversions: 30, n: 400 }, { conversions: 42, n: 410 }, { alpha: 0.5, beta: 0.5 });
    // Beta draws as G₁/(G₁ + G₂) from Marsaglia–Tsang gamma draws, seeded
    const rng = mulberry32(77);
    const gamma = (shape: number): number => {
      const d = shape - 1 / 3;
      const c = 1 / Math.sqrt(9 * d);
      for (;;) {
        const z = normal(rng);
        const v = (1 + c * z) ** 3;
        if (v <= 0) continue;
        const u = rng.next();
        if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
      }
    };
    const beta = (a: number, b: number): number => {
      const g = gamma(a);
      return g / (g + gamma(b));
    };
    const draws = 400_000;
    let wins = 0;
    for (let i = 0; i < draws; i++) {
      if (beta(r.treatment.alpha, r.treatment.beta) > beta(r.control.alpha, r.control.beta)) wins++;
    }
    const mc = wins / draws;
    const se = Math.sqrt((mc * (1 - mc)) / draws);
    expect(Math.abs(r.chanceToBeatControl - mc)).toBeLessThan(4 * se);
  });

  it('identical arms give exactly one half', () => {
    const r = betaBinomialComparison({ conversions: 40, n: 400 }, { conversions: 40, n: 400 });
    expect(r.chanceToBeatControl).toBeCloseTo(0.5, 12);
  });
});

describe('Normal comparison of means (flat and weak conjugate priors)', () => {
  for (const c of extra.normal_bayes.cases) {
    it(`${c.a.mean} vs ${c.b.mean}${c.prior ? ' with a prior' : ''}: posteriors 1e-12, chance 1e-12, losses 1e-9`, () => {
      const r = normalComparison(
        { mean: c.a.mean, varianceOfMean: c.a.variance_of_mean },
        { mean: c.b.mean, varianceOfMean: c.b.variance_of_mean },
        c.prior ?? undefined,
      );
      expect(relErr(r.control.mean, c.posterior_a[0])).toBeLessThan(1e-12);
      expect(relErr(r.control.variance, c.posterior_a[1])).toBeLessThan(1e-12);
      expect(relErr(r.treatment.mean, c.posterior_b[0])).toBeLessThan(1e-12);
      expect(Math.abs(r.chanceToBeatControl - c.chance_b_beats_a)).toBeLessThan(1e-12);
      expect(Math.abs(r.expectedLossTreatment - c.expected_loss_choosing_b)).toBeLessThan(1e-9);
      expect(Math.abs(r.expectedLossControl - c.expected_loss_choosing_a)).toBeLessThan(1e-9);
    });
  }

  it('rejects a zero variance of the mean, naming the arm', () => {
    expect(() => normalComparison({ mean: 1, varianceOfMean: 0 }, { mean: 1, varianceOfMean: 1 })).toThrow(/control\.varianceOfMean/);
  });
});
