import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/core/random.js';
import { fitLeaverTakeUp, fitLeaverTakeUpRun, leaverTakeUpPrecision } from '../../../src/models/stats/leaverMixture.js';

/** Offers with churn scores spread as an exploration run meets them, taken up at t0 by stayers and t1 by leavers. */
function offers(seed: number, n: number, t0: number, t1: number) {
  const u = mulberry32(seed);
  const r = Array.from({ length: n }, () => (u.next() < 0.1 ? 0.2 + 0.7 * u.next() : 0.05 * u.next()));
  const y = r.map((x) => (u.next() < (u.next() < x ? t1 : t0) ? 1 : 0));
  return { r, y };
}

describe('the stayers/leavers mixture: convergence and precision', () => {
  it('reports EM converging, with the same rates fitLeaverTakeUp gives', () => {
    const { r, y } = offers(3, 3000, 0.02, 0.4);
    const run = fitLeaverTakeUpRun(r, y)!;
    expect(run.converged).toBe(true);
    expect(run.iterations).toBeGreaterThan(1);
    expect(run.iterations).toBeLessThan(200);
    expect(run.fit).toEqual(fitLeaverTakeUp(r, y));
    // Stopped early, it says so.
    expect(fitLeaverTakeUpRun(r, y, 2)).toMatchObject({ converged: false, iterations: 2 });
  });

  it('standard errors match the spread of the estimates over 60 seeded samples (within 25%)', () => {
    const est0: number[] = [];
    const est1: number[] = [];
    const se0: number[] = [];
    const se1: number[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const { r, y } = offers(seed * 101, 4000, 0.02, 0.4);
      const fit = fitLeaverTakeUp(r, y)!;
      const p = leaverTakeUpPrecision(fit, r, y);
      est0.push(fit.stayers);
      est1.push(fit.leavers);
      se0.push(p.seStayers);
      se1.push(p.seLeavers);
      expect(p.correlation).toBeLessThan(0);
    }
    const sd = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
    };
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(se0) / sd(est0)).toBeGreaterThan(0.75);
    expect(mean(se0) / sd(est0)).toBeLessThan(1.25);
    expect(mean(se1) / sd(est1)).toBeGreaterThan(0.75);
    expect(mean(se1) / sd(est1)).toBeLessThan(1.25);
  });

  it('every offer with the same churn score: the two rates are not identified (infinite standard errors)', () => {
    const r = new Array<number>(500).fill(0.1);
    const y = r.map((_, i) => (i % 10 === 0 ? 1 : 0));
    const fit = fitLeaverTakeUp(r, y)!;
    expect(leaverTakeUpPrecision(fit, r, y)).toEqual({ seStayers: Number.POSITIVE_INFINITY, seLeavers: Number.POSITIVE_INFINITY, correlation: Number.NaN });
    expect(() => leaverTakeUpPrecision(fit, [0.1], [1, 0])).toThrow(/1 churn scores but 2 outcomes/);
  });
});
