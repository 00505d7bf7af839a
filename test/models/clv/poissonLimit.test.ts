/**
 * The BG/NBD near its Poisson limit: the demo's CLV fit (r = 9.02e238, alpha = 1.48e238)
 * printed a lifetime value of -2.8e148 GBP. Reference values: mpmath at 400 digits
 * (test/fixtures/clv/generate_poisson_limit.py, bgnbd_poisson_limit.json).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { conditionalExpectedPurchases, predictCustomerValue, probabilityAlive, type BgNbdParams } from '../../../src/models/clv/index.js';

const ref = JSON.parse(readFileSync(new URL('../../fixtures/clv/bgnbd_poisson_limit.json', import.meta.url), 'utf8')) as {
  params: Record<string, BgNbdParams>;
  cases: { params: string; x: number; tx: number; T: number; t: number; expectedPurchases: number; probabilityAlive: number }[];
};

/** Relative error, or absolute below 1e-12 (the tiny expectations of customers long gone). */
const close = (got: number, want: number, tol: number) => Math.abs(got - want) <= tol * Math.max(Math.abs(want), 1e-12 / tol);

describe('BG/NBD at its Poisson limit (mpmath reference)', () => {
  it.each(ref.cases.map((c) => [`${c.params} x=${c.x} T=${c.T} t=${c.t.toFixed(2)}`, c] as const))('%s: expected purchases and P(alive) within 1e-6', (_name, c) => {
    const p = ref.params[c.params]!;
    const got = conditionalExpectedPurchases(p, c.t, c.x, c.tx, c.T);
    expect(close(got, c.expectedPurchases, 1e-6), `${got} vs ${c.expectedPurchases}`).toBe(true);
    expect(close(probabilityAlive(p, c.x, c.tx, c.T), c.probabilityAlive, 1e-9)).toBe(true);
  });

  it("the demo customer's 12-month value is finite, positive and about 6 purchases a week at the mean spend", () => {
    const p = ref.params.demo_seed42!;
    const s = { frequency: Float64Array.of(112), recency: Float64Array.of(17), T: Float64Array.of(17.142857142857142), monetary: Float64Array.of(143.55) };
    const [v] = predictCustomerValue(p, { p: 2.2322095357062093, q: 4.215324397467411, gamma: 159.3327329940193 }, s, { periods: 12, periodLength: 30.4375 / 7, discountRate: 0.01 });
    expect(v!.expectedPurchases).toBeCloseTo(317.8256, 3);
    // 318 purchases at ~£143 a purchase, discounted 1% a month: under £46k, above £40k.
    expect(v!.lifetimeValue).toBeGreaterThan(40_000);
    expect(v!.lifetimeValue).toBeLessThan(46_000);
  });
});
