/**
 * BG/BB against the published results of Fader, Hardie & Shang (2010), "Customer-base
 * analysis in a discrete-time noncontractual setting", Marketing Science 29(6): the
 * 11,104 first-time donors of 1995 followed over six yearly opportunities
 * (test/fixtures/clv/donations.csv, 22 (x, t_x) patterns with counts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bgBbConditionalExpectedTransactions,
  bgBbLogLikelihood,
  bgBbProbabilityAlive,
  bgBbProbabilityOfTransactions,
  fitBgBb,
  type BgBbSummary,
} from '../../../src/models/clv/index.js';

const rows = readFileSync(new URL('../../fixtures/clv/donations.csv', import.meta.url), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
const donations: BgBbSummary = {
  frequency: Float64Array.from(rows, (r) => r[0]!),
  recency: Float64Array.from(rows, (r) => r[1]!),
  n: Float64Array.from(rows, (r) => r[2]!),
  weight: Float64Array.from(rows, (r) => r[3]!),
};
const fit = fitBgBb(donations);

describe('BG/BB on the 1995 donor cohort (Fader, Hardie & Shang 2010)', () => {
  it('reproduces the published estimates (alpha 1.204, beta 0.750, gamma 0.657, delta 2.783) and LL -33,225.6 to the published precision', () => {
    expect(fit.customers).toBe(11104);
    expect(fit.patterns).toBe(22);
    expect(fit.params.alpha.toFixed(3)).toBe('1.204');
    expect(fit.params.beta.toFixed(3)).toBe('0.750');
    expect(fit.params.gamma.toFixed(3)).toBe('0.657');
    expect(fit.params.delta.toFixed(3)).toBe('2.783');
    expect(fit.logLikelihood.toFixed(1)).toBe('-33225.6');
    expect(fit.converged).toBe(true);
    expect(fit.warnings).toEqual([]);
    // The optimum is at least as good as the published (rounded) parameters.
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(bgBbLogLikelihood({ alpha: 1.204, beta: 0.75, gamma: 0.657, delta: 2.783 }, donations));
  });

  it('gives finite standard errors from the observed information', () => {
    for (const k of ['alpha', 'beta', 'gamma', 'delta'] as const) {
      expect(fit.standardErrors[k]).toBeGreaterThan(0);
      expect(fit.standardErrors[k]).toBeLessThan(fit.params[k]);
    }
  });

  it('P(alive in 2002) as in Table 6: 0.11 (x 0), 0.59 (x 2, t_x 4), 0.93 (x 6, t_x 6)', () => {
    expect(bgBbProbabilityAlive(fit.params, 0, 0, 6).toFixed(2)).toBe('0.11');
    expect(bgBbProbabilityAlive(fit.params, 2, 4, 6).toFixed(2)).toBe('0.59');
    expect(bgBbProbabilityAlive(fit.params, 6, 6, 6).toFixed(2)).toBe('0.93');
  });

  it("matches Hardie's BG/BB spreadsheet: 3,454.9 and 1,253.1 donors with 0 and 6 donations in six years, 12,884.2 expected over the next five", () => {
    expect((11104 * bgBbProbabilityOfTransactions(fit.params, 0, 6)).toFixed(1)).toBe('3454.9');
    expect((11104 * bgBbProbabilityOfTransactions(fit.params, 6, 6)).toFixed(1)).toBe('1253.1');
    let sum = 0;
    for (let x = 0; x <= 6; x++) sum += bgBbProbabilityOfTransactions(fit.params, x, 6);
    expect(sum).toBeCloseTo(1, 12);
    let expected = 0;
    rows.forEach((r) => (expected += r[3]! * bgBbConditionalExpectedTransactions(fit.params, 5, r[0]!, r[1]!, r[2]!)));
    expect(expected.toFixed(1)).toBe('12884.2');
  });

  it('weighted rows equal the same rows repeated', () => {
    const expanded = rows.flatMap((r) => Array.from({ length: r[3]! }, () => r));
    const flat: BgBbSummary = {
      frequency: Float64Array.from(expanded, (r) => r[0]!),
      recency: Float64Array.from(expanded, (r) => r[1]!),
      n: Float64Array.from(expanded, (r) => r[2]!),
    };
    const p = { alpha: 1.1, beta: 0.8, gamma: 0.7, delta: 2.5 };
    expect(bgBbLogLikelihood(p, flat)).toBeCloseTo(bgBbLogLikelihood(p, donations), 6);
    const refit = fitBgBb(flat);
    for (const k of ['alpha', 'beta', 'gamma', 'delta'] as const) expect(refit.params[k]).toBeCloseTo(fit.params[k], 6);
  });

  it('names impossible histories', () => {
    const bad = (x: number, tx: number, n: number) => fitBgBb({ frequency: Float64Array.of(x), recency: Float64Array.of(tx), n: Float64Array.of(n) });
    expect(() => bad(3, 2, 6)).toThrow(/recency\[0\]/);
    expect(() => bad(7, 7, 6)).toThrow(/frequency\[0\]/);
    expect(() => bad(0, 1, 6)).toThrow(/recency\[0\]/);
    expect(() => bad(1, 1, 0)).toThrow(/n\[0\]/);
    expect(() => fitBgBb({ ...donations, weight: donations.weight!.map((w, i) => (i === 3 ? -1 : w)) })).toThrow(/weight\[3\]/);
  });
});
