import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32, normal } from '../../../src/core/random.js';
import {
  bgNbdLogLikelihood,
  conditionalExpectedPurchases,
  expectedPurchases,
  fitBgNbd,
  probabilityAlive,
  type RfmSummary,
} from '../../../src/models/clv/index.js';

const fixture = (name: string) => new URL(`../../fixtures/clv/${name}`, import.meta.url);
const ref = JSON.parse(readFileSync(fixture('clv_cdnow.json'), 'utf8'));
const rows = readFileSync(fixture('cdnow_customers_summary.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
const cdnow: RfmSummary = {
  frequency: Float64Array.from(rows, (r) => r[1]!),
  recency: Float64Array.from(rows, (r) => r[2]!),
  T: Float64Array.from(rows, (r) => r[3]!),
};
const fit = fitBgNbd(cdnow);
const mle = ref.bgnbd.our_mle;

describe('BG/NBD on CDNOW (Fader, Hardie & Lee 2005; clv_cdnow.json)', () => {
  it('parameters within 1e-3 of 0.242593, 4.413532, 0.792886, 2.425752 and LL -9582.43 ± 0.01', () => {
    expect(Math.abs(fit.params.r - 0.242593)).toBeLessThan(1e-3);
    expect(Math.abs(fit.params.alpha - 4.413532)).toBeLessThan(1e-3);
    expect(Math.abs(fit.params.a - 0.792886)).toBeLessThan(1e-3);
    expect(Math.abs(fit.params.b - 2.425752)).toBeLessThan(1e-3);
    expect(Math.abs(fit.logLikelihood - -9582.43)).toBeLessThan(0.01);
    expect(fit.converged).toBe(true);
  });

  it('agrees with the scipy MLE much tighter than the stated tolerance (1e-5 relative)', () => {
    for (const k of ['r', 'alpha', 'a', 'b'] as const) expect(Math.abs(fit.params[k] / mle[k] - 1)).toBeLessThan(1e-5);
    expect(Math.abs(fit.logLikelihood - mle.log_likelihood)).toBeLessThan(1e-6);
  });

  it('standard errors within 1% of the Hessian-based ones (lifetimes docs: 0.012557, 0.378221, 0.185719, 0.705345)', () => {
    const docs = { r: 0.012557, alpha: 0.378221, a: 0.185719, b: 0.705345 };
    for (const k of ['r', 'alpha', 'a', 'b'] as const) expect(Math.abs(fit.standardErrors[k] / docs[k] - 1)).toBeLessThan(0.01);
  });

  it('log-likelihood at the published rounded parameters is -9582.4268 (1e-6)', () => {
    const ll = bgNbdLogLikelihood({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, cdnow).value;
    expect(Math.abs(ll - ref.bgnbd.log_likelihood_at_published_params)).toBeLessThan(1e-6);
  });

  it('E[X(t)] matches the Hardie spreadsheet to 1e-3 and the scipy values to 1e-9', () => {
    const c = ref.bgnbd.checks.unconditional_expected_purchases_E_X_t;
    c.t_weeks.forEach((t: number, i: number) => {
      expect(Math.abs(expectedPurchases(mle, t) - c.at_our_mle[i])).toBeLessThan(1e-9);
      expect(Math.abs(expectedPurchases(fit.params, t) - c.expected_from_lifetimes_tests_hardie_excel[i])).toBeLessThan(1e-3);
    });
  });

  it('conditional expectation (t 39, x 2, t_x 30.43, T 38.86) is 1.226, and P(alive) / E[Y(39)] for the first 10 customers', () => {
    const c = ref.bgnbd.checks;
    expect(Math.abs(conditionalExpectedPurchases(fit.params, 39, 2, 30.43, 38.86) - 1.226)).toBeLessThan(5e-4);
    for (let i = 0; i < 10; i++) {
      const [, x, tx, T] = rows[i]!;
      expect(Math.abs(probabilityAlive(mle, x!, tx!, T!) - c.p_alive_first_10_customers_at_our_mle[i])).toBeLessThan(1e-12);
      expect(Math.abs(conditionalExpectedPurchases(mle, 39, x!, tx!, T!) - c.conditional_expected_purchases_next_39_weeks_first_10_customers_at_our_mle[i])).toBeLessThan(1e-10);
    }
    let sum = 0;
    for (const [, x, tx, T] of rows) sum += conditionalExpectedPurchases(mle, 39, x!, tx!, T!);
    expect(Math.abs(sum - c.sum_conditional_expected_purchases_next_39_weeks_all_customers_at_our_mle)).toBeLessThan(1e-7);
  });
});

describe('BG/NBD properties (seeded)', () => {
  const params = fc.record({
    r: fc.double({ min: 0.05, max: 5, noNaN: true }),
    alpha: fc.double({ min: 0.5, max: 50, noNaN: true }),
    a: fc.double({ min: 0.1, max: 5, noNaN: true }).filter((a) => Math.abs(a - 1) > 1e-3),
    b: fc.double({ min: 0.1, max: 10, noNaN: true }),
  });
  const customer = fc
    .record({ x: fc.integer({ min: 0, max: 30 }), T: fc.double({ min: 1, max: 100, noNaN: true }), u: fc.double({ min: 0, max: 1, noNaN: true }) })
    .map(({ x, T, u }) => ({ x, T, tx: x === 0 ? 0 : u * T }));

  it('the analytic gradient equals central differences of the log-likelihood', () => {
    fc.assert(
      fc.property(params, fc.array(customer, { minLength: 1, maxLength: 20 }), (p, cs) => {
        const s: RfmSummary = { frequency: Float64Array.from(cs, (c) => c.x), recency: Float64Array.from(cs, (c) => c.tx), T: Float64Array.from(cs, (c) => c.T) };
        const { gradient } = bgNbdLogLikelihood(p, s);
        (['r', 'alpha', 'a', 'b'] as const).forEach((k, i) => {
          const h = 1e-6 * p[k];
          const up = bgNbdLogLikelihood({ ...p, [k]: p[k] + h }, s).value;
          const down = bgNbdLogLikelihood({ ...p, [k]: p[k] - h }, s).value;
          const numeric = (up - down) / (2 * h);
          expect(Math.abs(gradient[i]! - numeric)).toBeLessThan(1e-4 * (1 + Math.abs(numeric)));
        });
      }),
      { seed: 6, numRuns: 60 },
    );
  });

  it('P(alive) is in (0, 1], falls as the last purchase gets older, and E[Y(t)] grows with t', () => {
    fc.assert(
      fc.property(params, customer, fc.double({ min: 0.5, max: 100, noNaN: true }), (p, c, t) => {
        const alive = probabilityAlive(p, c.x, c.tx, c.T);
        expect(alive).toBeGreaterThan(0);
        expect(alive).toBeLessThanOrEqual(1);
        if (c.x > 0 && c.tx > 0.01) expect(probabilityAlive(p, c.x, c.tx / 2, c.T)).toBeLessThanOrEqual(alive + 1e-12);
        const near = conditionalExpectedPurchases(p, t, c.x, c.tx, c.T);
        expect(near).toBeGreaterThanOrEqual(0);
        expect(conditionalExpectedPurchases(p, 2 * t, c.x, c.tx, c.T)).toBeGreaterThanOrEqual(near - 1e-9);
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('the subsample warm start reaches the same maximum as a cold start', () => {
    const cold = fitBgNbd(cdnow, { warmStartAbove: Infinity });
    const warm = fitBgNbd(cdnow, { warmStartAbove: 1000, warmStartSize: 500 });
    for (const k of ['r', 'alpha', 'a', 'b'] as const) expect(Math.abs(warm.params[k] / cold.params[k] - 1)).toBeLessThan(1e-5);
    expect(Math.abs(warm.logLikelihood - cold.logLikelihood)).toBeLessThan(1e-6);
  });

  it('rejects a summary with a fractional frequency or recency beyond T, naming the field', () => {
    const bad = (f: number, tx: number, T: number) => () => fitBgNbd({ frequency: Float64Array.of(f, 1, 2), recency: Float64Array.of(tx, 1, 2), T: Float64Array.of(T, 5, 5) });
    expect(bad(1.5, 1, 5)).toThrow(/frequency\[0\].*non_negative_integer/);
    expect(bad(1, 6, 5)).toThrow(/recency\[0\].*between_0_and_T/);
    expect(bad(0, 1, 5)).toThrow(/recency\[0\].*zero_without_repeat/);
  });
});

describe('BG/NBD weighted summary rows', () => {
  // CDNOW's 2,357 customers fall into fewer distinct (x, t_x, T) histories: one row each with a count.
  const groups = new Map<string, { x: number; tx: number; T: number; count: number }>();
  for (const [, x, tx, T] of rows) {
    const key = `${x},${tx},${T}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { x: x!, tx: tx!, T: T!, count: 1 });
  }
  const grouped = [...groups.values()];
  const weighted: RfmSummary = {
    frequency: Float64Array.from(grouped, (g) => g.x),
    recency: Float64Array.from(grouped, (g) => g.tx),
    T: Float64Array.from(grouped, (g) => g.T),
    weight: Float64Array.from(grouped, (g) => g.count),
  };

  it('a row with count k is k identical customers: same likelihood, gradient and fit as the rows expanded', () => {
    expect(grouped.length).toBeLessThan(rows.length);
    const p = { r: 0.3, alpha: 5, a: 0.7, b: 2.2 };
    const full = bgNbdLogLikelihood(p, cdnow);
    const compact = bgNbdLogLikelihood(p, weighted);
    expect(compact.value).toBeCloseTo(full.value, 8);
    compact.gradient.forEach((g, i) => expect(g).toBeCloseTo(full.gradient[i]!, 8));
    const wfit = fitBgNbd(weighted);
    expect(wfit.customers).toBe(rows.length);
    for (const k of ['r', 'alpha', 'a', 'b'] as const) {
      expect(Math.abs(wfit.params[k] / fit.params[k] - 1)).toBeLessThan(1e-6);
      expect(Math.abs(wfit.standardErrors[k] / fit.standardErrors[k] - 1)).toBeLessThan(1e-3);
    }
    expect(wfit.logLikelihood).toBeCloseTo(fit.logLikelihood, 6);
  });

  it('rejects negative weights and weights that sum to 0, naming the field', () => {
    expect(() => fitBgNbd({ ...weighted, weight: weighted.weight!.map((w, i) => (i === 2 ? -1 : w)) })).toThrow(/weight\[2\]/);
    expect(() => fitBgNbd({ ...weighted, weight: weighted.weight!.map(() => 0) })).toThrow(/positive_total/);
  });
});

describe('BG/NBD at its no-dropout limit', () => {
  /** NBD customers who never drop out: Poisson purchases at a Gamma(0.5, 4) rate over 20-39 weeks. */
  function noDropout(seed: number, n: number): RfmSummary {
    const rng = mulberry32(seed);
    const gamma = (k: number): number => {
      if (k < 1) return gamma(k + 1) * Math.pow(rng.next(), 1 / k);
      const d = k - 1 / 3;
      const c = 1 / Math.sqrt(9 * d);
      for (;;) {
        let x: number;
        let v: number;
        do {
          x = normal(rng);
          v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        const u = rng.next();
        if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
      }
    };
    const s: RfmSummary = { frequency: new Float64Array(n), recency: new Float64Array(n), T: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      const rate = gamma(0.5) / 4;
      const T = 20 + Math.floor(rng.next() * 20);
      let t = 0;
      let x = 0;
      let last = 0;
      for (;;) {
        t += -Math.log(1 - rng.next()) / rate;
        if (t > T) break;
        x++;
        last = t;
      }
      s.frequency[i] = x;
      s.recency[i] = last;
      s.T[i] = T;
    }
    return s;
  }

  it('is reported as degenerate (no_dropout) with a warning, not converged, with standard errors for r and alpha only', () => {
    const f = fitBgNbd(noDropout(7, 3000));
    expect(f.degenerate?.kind).toBe('no_dropout');
    expect(f.converged).toBe(false);
    expect(f.warnings.join(' ')).toMatch(/no-dropout limit/);
    expect(f.params.a / (f.params.a + f.params.b)).toBeLessThan(1e-3);
    // The purchase-rate part is still estimated (true r 0.5, alpha 4) with finite errors.
    expect(Math.abs(f.params.r - 0.5)).toBeLessThan(4 * f.standardErrors.r);
    expect(Math.abs(f.params.alpha - 4)).toBeLessThan(4 * f.standardErrors.alpha);
    expect(Number.isNaN(f.standardErrors.a)).toBe(true);
    expect(Number.isNaN(f.standardErrors.b)).toBe(true);
  });

  it('a regular fit (CDNOW) is not degenerate and has no warnings', () => {
    expect(fit.degenerate).toBeNull();
    expect(fit.warnings).toEqual([]);
  });
});
