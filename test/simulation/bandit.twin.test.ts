import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCatalogueYaml } from '../../src/decisioning/index.js';
import { checkOnTwin } from '../../src/simulation/offPolicyCheck.js';
import { coldStart } from '../../src/simulation/coldStart.js';

const catalogue = parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8'));

describe('off-policy evaluation on the twin, where the truth is known', () => {
  it('with the engine exploring as the logger, one decision per customer: the live value is the estimand, DR intervals hold it, and nothing is off the log\'s support', async () => {
    // Four banks and seeds, pooled: one run's ten candidates share a log, so their misses come
    // together, and a single seed swung between 7 and 10 of 10 covered (8 seeds: 73 of 80).
    let covered = 0;
    const errors: number[] = [];
    for (const [bank, seed] of [[3, 5], [4, 6], [5, 7], [6, 8]] as const) {
      const c = await checkOnTwin({ scenario: { customers: 800, days: 30, seed: bank }, catalogue, candidates: 10, live: 4, seed, budget: 0.3, trainDays: 30, resamples: 100, schedule: 'once' });
      expect(c.decisions).toBeGreaterThan(700);
      // Each customer decided for once, on the same day whatever the policy: the live run answers the logged requests.
      for (const x of c.candidates.filter((y) => y.live)) {
        expect(x.live!.decisions).toBe(c.decisions);
        expect(x.live!.truth).toBeCloseTo(x.sameDaysTruth, 12);
      }
      // The engine explores every action that passed every policy, and "no action": every candidate's choice was loggable.
      for (const x of c.candidates) expect(x.unsupported).toBe(0);
      covered += c.candidates.filter((x) => x.estimates.dr.low <= x.sameDaysTruth && x.sameDaysTruth <= x.estimates.dr.high).length;
      errors.push(...c.candidates.map((x) => x.estimates.dr.estimate - x.sameDaysTruth));
    }
    // 95% intervals: at least 85% of the 40 hold the truth, and the estimates are not biased overall.
    expect(covered).toBeGreaterThanOrEqual(34);
    expect(Math.abs(errors.reduce((a, b) => a + b, 0) / errors.length)).toBeLessThan(0.03);
  }, 300_000);
});

describe('cold start on the twin', () => {
  it('Thompson sampling finds a new action the greedy engine never shows, and ends with less regret', async () => {
    const r = await coldStart({ scenario: { customers: 500, days: 60, seed: 7 }, newAction: 'personal_loan', coldPrior: 0.005, priorStrength: 20, budgets: [1] });
    const greedy = r.curves.find((c) => c.policy === 'greedy engine')!;
    const ts = r.curves.find((c) => c.policy === 'Thompson sampling')!;
    const oracle = r.curves.find((c) => c.policy === 'oracle')!;
    expect(greedy.newActionExposures).toBe(0);
    expect(ts.newActionExposures).toBeGreaterThan(50);
    expect(ts.regretByDay.at(-1)!).toBeLessThan(greedy.regretByDay.at(-1)!);
    expect(oracle.regretByDay.at(-1)).toBe(0);
    // The learned acceptance of the new action is near its truth (the cold prior was 0.5%).
    expect(Math.abs(ts.newActionEstimate! - ts.newActionTruth!)).toBeLessThan(0.35 * ts.newActionTruth!);
  }, 120_000);
});
