import { describe, expect, it } from 'vitest';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryModelRegistry } from '../../src/store/memory/modelRegistry.js';
import { ModelLifecycle } from '../../src/training/index.js';
import { DAY, registerChurnModel, retentionBank, START } from './retentionBank.js';
import { appendAll } from './synthetic.js';

const features = FeatureSet.compile(BANK_PACK);

async function trained(o: { customers: number; seed: number; stayers: number; leavers: number }, churn = true) {
  const log = new MemoryEventLog();
  await appendAll(log, retentionBank(o));
  const registry = new MemoryModelRegistry();
  const at = new Date(START).toISOString();
  if (churn) await registry.promote(await registerChurnModel((m) => registry.register(m), features.version, at), at);
  const lc = new ModelLifecycle(registry, { log, features: () => features, now: () => START + 201 * DAY, retentionActions: () => new Set(['ret_loyalty_rate', 'retention']) });
  const run = await lc.train({ models: ['retention'], seed: 1 });
  return { lc, run, registry };
}

describe('the retention take-up family', () => {
  it('recovers the take-up rates of stayers and leavers from a generated log (3 seeds, stayers within 0.015, leavers within 0.12 of the truth)', async () => {
    // About 2,000 offers, 11% of them to leavers: the leavers' rate has a standard error near 0.05, the stayers' near 0.006.
    const truth = { stayers: 0.03, leavers: 0.45 };
    for (const seed of [1, 2, 3]) {
      const { run } = await trained({ customers: 2000, seed, ...truth });
      expect(run.skipped, `seed ${seed}`).toEqual([]);
      const m = run.trained[0]!.metrics;
      expect(m.offers, `seed ${seed}`).toBeGreaterThan(1900); // every loyalty offer after the warm-up, no savings offer
      expect(m.offers, `seed ${seed}`).toBeLessThanOrEqual(2000);
      expect(Math.abs((m.stayers as number) - truth.stayers), `seed ${seed} stayers ${String(m.stayers)}`).toBeLessThan(0.015);
      expect(Math.abs((m.leavers as number) - truth.leavers), `seed ${seed} leavers ${String(m.leavers)}`).toBeLessThan(0.12);
      expect(m.converged, `seed ${seed}`).toBe(true);
      expect(m.seLeavers as number).toBeGreaterThan(0.02);
      expect(m.seLeavers as number).toBeLessThan(0.1);
      expect(m.churnModel).toBe('churn_90d@1');
    }
  }, 120_000);

  it('passes the mixture_fit promotion rule and serves leaving_given_retention by Bayes’ rule on the served churn risk', async () => {
    const { lc, run } = await trained({ customers: 2000, seed: 4, stayers: 0.03, leavers: 0.45 });
    const id = run.trained[0]!.id;
    const verdict = await lc.judge(id);
    expect(verdict.rule).toBe('mixture_fit');
    expect(verdict.checks.map((c) => [c.rule, c.passed])).toEqual([
      ['converged', true],
      ['rates_identified', true],
      ['enough_test_positives', true],
      ['beats_base_rate', true],
      ['fitted_on_champion', true],
    ]);
    await lc.promote(id);
    const m = (await lc.get(id))!;
    const { stayers, leavers } = m.artefact as { stayers: number; leavers: number };
    // Two complaints: churn score 0.4 from the churn champion, then Bayes' rule.
    const values: Record<string, number> = { complaints_365d: 2 };
    const scores = lc.champions!.ruleScores(values, START + 201 * DAY);
    expect(scores.churn_risk).toBeCloseTo(0.4, 6);
    expect(scores.leaving_given_retention).toBeCloseTo((0.4 * leavers) / (0.6 * stayers + 0.4 * leavers), 5);
    expect(scores.leaving_given_retention).toBeGreaterThan(0.8);
    // Asked for by name (the trigger consumer's path), the churn risk it reads is computed too.
    expect(lc.champions!.ruleScoresOf((n) => values[n] ?? Number.NaN, START, new Set(['leaving_given_retention']))).toEqual({ leaving_given_retention: scores.leaving_given_retention });
    const profile = lc.scores((n) => values[n] ?? Number.NaN, ['complaints_365d'], START, [])!;
    expect(profile.retention).toEqual({ leavingGivenTakeUp: scores.leaving_given_retention, takeUp: expect.any(Number), churnRisk: scores.churn_risk, model: id });
    expect(m.card.title).toMatch(/stayers and leavers/);
    expect(m.card.limitations.join(' ')).toMatch(/churn_90d@1/);
  }, 60_000);

  it('is not trained without a churn model, nor with too few take-ups, and says why', async () => {
    const none = await trained({ customers: 600, seed: 5, stayers: 0.03, leavers: 0.45 }, false);
    expect(none.run.trained).toEqual([]);
    expect(none.run.skipped).toEqual([{ name: 'retention_take_up', reason: expect.stringMatching(/no churn_90d model .* \(train churn first\)/) }]);
    const few = await trained({ customers: 600, seed: 5, stayers: 0.001, leavers: 0.01 });
    expect(few.run.skipped).toEqual([{ name: 'retention_take_up', reason: expect.stringMatching(/^\d+ retention offers with \d take-ups in the window \(need 100 offers and 10 take-ups\)$/) }]);
    // Without a retention champion nothing is served: the catalogue falls back to the churn risk.
    await few.lc.reload();
    expect(few.lc.champions!.ruleScores({ complaints_365d: 2 }, START)).toEqual({ churn_risk: expect.any(Number), financial_stress: expect.any(Number) });
  }, 60_000);

  it('a mixture the offers cannot identify (every churn score the same) fails rates_identified', async () => {
    const { lc, run } = await trained({ customers: 2000, seed: 6, stayers: 0.03, leavers: 0.45 });
    expect(run.trained).toHaveLength(1);
    const m = (await lc.get(run.trained[0]!.id))!;
    const flat = { ...m, id: 'flat', metrics: { ...m.metrics, seStayers: null, seLeavers: null } };
    const { judgePromotion } = await import('../../src/training/promotion.js');
    const v = await judgePromotion({ log: new MemoryEventLog(), features, registry: new MemoryModelRegistry() }, flat);
    expect(v.allowed).toBe(false);
    expect(v.checks.find((c) => c.rule === 'rates_identified')).toMatchObject({ passed: false, detail: expect.stringMatching(/unbounded/) });
  }, 60_000);
});
