import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
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
