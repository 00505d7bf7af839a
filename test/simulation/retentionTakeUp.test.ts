import { describe, it, expect } from 'vitest';
import { FeatureRows, GbdtScorer, type ActionVars } from '../../src/decisioning/index.js';
import { fitLeaverTakeUp, leavingGivenTakeUp, takeUpAt } from '../../src/models/stats/leaverMixture.js';
import { RetentionTakeUpScorer } from '../../src/simulation/retentionTakeUp.js';
import { Stream } from '../../src/simulation/stream.js';

const seeded = (seed: number) => {
  const s = new Stream();
  s.s = seed;
  return () => s.next();
};

describe('retention take-up among stayers and leavers', () => {
  it('with churn scores of exactly 0 and 1 the fit is each group’s rate, with half a take-up and half a decline of prior', () => {
    // 400 stayers, 8 take-ups; 20 leavers, 9 take-ups.
    const r = [...Array<number>(400).fill(0), ...Array<number>(20).fill(1)];
    const y = [...Array.from({ length: 400 }, (_, i) => (i < 8 ? 1 : 0)), ...Array.from({ length: 20 }, (_, i) => (i < 9 ? 1 : 0))];
    const fit = fitLeaverTakeUp(r, y)!;
    expect(fit.stayers).toBeCloseTo(8.5 / 401, 9);
    expect(fit.leavers).toBeCloseTo(9.5 / 21, 9);
    expect(fit).toMatchObject({ offers: 420, takeUps: 17 });
  });

  it('recovers the two rates from offers drawn with known rates (seeded: each of 20 seeds within 3 sd, their mean within 2 sd of the mean)', () => {
    // About 85 leavers' worth of churn score in 3,000 offers: the leavers' rate has an sd of about 0.065, the stayers' 0.002.
    const t0 = 0.01;
    const t1 = 0.45;
    let sum0 = 0;
    let sum1 = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const u = seeded(seed * 7919);
      // Mostly low churn scores, a few high: what an exploration run meets.
      const r = Array.from({ length: 3000 }, () => (u() < 0.03 ? 0.3 + 0.7 * u() : 0.02 * u()));
      const y = r.map((x) => (u() < (1 - x) * t0 + x * t1 ? 1 : 0));
      const fit = fitLeaverTakeUp(r, y)!;
      expect(Math.abs(fit.stayers - t0), `seed ${seed}`).toBeLessThan(0.008);
      expect(Math.abs(fit.leavers - t1), `seed ${seed}`).toBeLessThan(0.2);
      sum0 += fit.stayers;
      sum1 += fit.leavers;
    }
    expect(Math.abs(sum0 / 20 - t0)).toBeLessThan(0.001);
    expect(Math.abs(sum1 / 20 - t1)).toBeLessThan(0.03);
  });

  it('needs 50 offers and a take-up, and says so when outcomes do not match scores', () => {
    expect(fitLeaverTakeUp(new Array(49).fill(0.1), new Array(49).fill(1))).toBeUndefined();
    expect(fitLeaverTakeUp(new Array(60).fill(0.1), new Array(60).fill(0))).toBeUndefined();
    expect(() => fitLeaverTakeUp([0.1, 0.2], [1])).toThrow(/2 churn scores but 1 outcomes/);
  });

  it('the chance a taker was leaving is Bayes’ rule on the two rates', () => {
    const fit = { stayers: 0.01, leavers: 0.45, offers: 1000, takeUps: 20 };
    expect(takeUpAt(fit, 0.1)).toBeCloseTo(0.9 * 0.01 + 0.1 * 0.45, 12);
    expect(leavingGivenTakeUp(fit, 0.1)).toBeCloseTo(0.045 / 0.054, 12);
    expect(leavingGivenTakeUp(fit, 0)).toBe(0);
    expect(leavingGivenTakeUp(fit, 1)).toBe(1);
    // Far above the churn risk itself: take-up already says much of who is leaving.
    expect(leavingGivenTakeUp(fit, 0.02)).toBeGreaterThan(0.4);
  });

  it('serves retention from the mixture and every other family from the models beneath, and learns from more offers', () => {
    // Stayers 2 of 200 (with the prior, 2.5 / 201), leavers 9 of 20 (9.5 / 21).
    const offers = { r: [...Array<number>(200).fill(0), ...Array<number>(20).fill(1)], y: [...Array.from({ length: 200 }, (_, i) => (i < 2 ? 1 : 0)), ...Array.from({ length: 20 }, (_, i) => (i < 9 ? 1 : 0))] };
    const inner = new GbdtScorer({});
    const scorer = RetentionTakeUpScorer.fitted(inner, offers, 'mix@1')!;
    const t0 = 2.5 / 201;
    const t1 = 9.5 / 21;
    const action = (family: string): ActionVars => ({ id: family, family, purpose: 'marketing', productRisk: 0, value: 0, credit: false, targetedSupport: false });
    expect(scorer.score(action('retention'), new FeatureRows({ churn_risk: 0.2 }))!.propensity).toBeCloseTo(0.8 * t0 + 0.2 * t1, 9);
    expect(scorer.score(action('retention'), new FeatureRows({ churn_risk: 0.2 }))!.modelVersion).toBe('mix@1');
    // No churn score: the models beneath (none here).
    expect(scorer.score(action('retention'), new FeatureRows({}))).toBeUndefined();
    expect(scorer.score(action('savings'), new FeatureRows({ churn_risk: 0.2 }))).toBeUndefined();
    expect(scorer.versionFor(action('retention'))).toBe('mix@1');
    expect(scorer.explain(action('retention'), new FeatureRows({ churn_risk: 0.2 }), 3)).toEqual([]);
    expect(scorer.over(inner).score(action('retention'), new FeatureRows({ churn_risk: 1 }))!.propensity).toBeCloseTo(t1, 9);
    // Twenty more leavers, all of whom took it up: 29.5 / 41.
    const learnt = scorer.learn({ r: Array<number>(20).fill(1), y: Array<number>(20).fill(1) }, 'mix@2');
    expect(learnt.fit.leavers).toBeCloseTo(29.5 / 41, 9);
    expect(learnt.versionFor(action('retention'))).toBe('mix@2');
    expect(scorer.fit.leavers).toBeCloseTo(t1, 9);
    expect(RetentionTakeUpScorer.fitted(inner, { r: [0.1], y: [1] }, 'x')).toBeUndefined();
  });
});
