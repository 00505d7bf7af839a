import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { DAY, registerChurnModel, retentionBank, START } from '../training/retentionBank.js';

/** An engine on the built-in catalogue, 201 days after START, holding a generated retention bank. */
async function bankEngine(o: Parameters<typeof retentionBank>[0]): Promise<Engine> {
  const engine = await createEngine({ store: 'memory', log: { level: 'silent' } }, { clock: new ManualClock(new Date(START + 201 * DAY).toISOString()) });
  const events = retentionBank(o);
  await engine.upsertCustomers([...new Set(events.map((e) => e.customerId))].map((customerId) => ({ customerId, dateOfBirth: '1980-01-01', riskTolerance: 'medium' as const, consents: { marketing: true, personalised_offers: true } })));
  const report = await engine.ingest(events);
  expect(report.rejected).toBe(0);
  await engine.consumers.caughtUp(30_000);
  return engine;
}

describe('production serves scores.leaving_given_retention from the retention family', () => {
  let engine: Engine | undefined;
  afterAll(async () => engine?.close());

  it('trains on the catalogue’s retention offers, and a decision carries the score in its inputs and record', async () => {
    // The built-in catalogue values ret_loyalty_rate as retention: its offers train the family; savings_easy_access's do not.
    engine = await bankEngine({ customers: 1500, seed: 7, stayers: 0.03, leavers: 0.45 });
    const churnId = await registerChurnModel(engine.models.register, engine.features.version, new Date(START).toISOString());
    await engine.models.promote(churnId, { force: 'a hand-made churn model whose scores the test knows' });
    // Before a retention champion: no score, so the catalogue falls back to the churn risk.
    const before = await engine.decide({ customerId: 'c00001', channel: 'email' });
    expect(before.inputs.scores.churn_risk).toEqual(expect.any(Number));
    expect(before.inputs.scores).not.toHaveProperty('leaving_given_retention');
    const run = await engine.trainModels({ models: ['retention'], promote: true });
    expect(run.trained.map((t) => t.name)).toEqual(['retention_take_up']);
    expect(run.trained[0]!.metrics.churnModel).toBe(churnId);
    expect(run.promoted).toEqual([run.trained[0]!.id]);
    const m = run.trained[0]!.metrics as { stayers: number; leavers: number; offers: number };
    expect(m.offers).toBeGreaterThan(1400);
    expect(m.offers).toBeLessThanOrEqual(1500);
    const d = await engine.decide({ customerId: 'c00002', channel: 'email' });
    const r = d.inputs.scores.churn_risk!;
    expect(d.inputs.scores.leaving_given_retention).toBeCloseTo((r * m.leavers) / ((1 - r) * m.stayers + r * m.leavers), 5);
    // The logged record carries it as the decision saw it.
    const logged = await engine.decision(d.decisionId);
    expect(logged!.inputs.scores.leaving_given_retention).toBe(d.inputs.scores.leaving_given_retention);
    const scores = await engine.modelScores('c00002');
    expect(scores!.retention).toMatchObject({ leavingGivenTakeUp: d.inputs.scores.leaving_given_retention, model: run.trained[0]!.id });

    // A new churn champion: the mixture's rates were fitted to the old model's scores, so it is not served until fitted again.
    const churn2 = await registerChurnModel(engine.models.register, engine.features.version, new Date(START + DAY).toISOString());
    await engine.models.promote(churn2, { force: 'a second churn model: the retention mixture was fitted on the first' });
    const stale = await engine.decide({ customerId: 'c00003', channel: 'email' });
    expect(stale.inputs.scores.churn_risk).toEqual(expect.any(Number));
    expect(stale.inputs.scores).not.toHaveProperty('leaving_given_retention');
    expect((await engine.modelScores('c00003'))!.retention).toBeNull();
    const again = await engine.trainModels({ models: ['retention'], promote: true });
    expect(again.trained[0]!.metrics.churnModel).toBe(churn2);
    expect(again.promoted).toEqual([again.trained[0]!.id]);
    expect((await engine.decide({ customerId: 'c00004', channel: 'email' })).inputs.scores.leaving_given_retention).toEqual(expect.any(Number));
  }, 120_000);

  it('a run that promotes a new churn model fits the mixture again on it, instead of promoting the one fitted on the old', async () => {
    const e = await bankEngine({ customers: 1500, seed: 7, stayers: 0.03, leavers: 0.45 });
    try {
      const old = await registerChurnModel(e.models.register, e.features.version, new Date(START).toISOString());
      await e.models.promote(old, { force: 'a hand-made churn model the run will replace' });
      const run = await e.trainModels({ models: ['churn', 'retention'], promote: true });
      const churn = run.trained.find((t) => t.name === 'churn_90d')!;
      expect(run.promoted).toContain(churn.id);
      const mixtures = run.trained.filter((t) => t.name === 'retention_take_up');
      expect(mixtures.map((t) => t.metrics.churnModel)).toEqual([old, churn.id]);
      expect(run.notPromoted).toContainEqual({ id: mixtures[0]!.id, reason: `fitted on ${old}, which is not the champion now (fitted_on_champion)` });
      // The refit is judged as any candidate: promoted, or left with the guard's reasons (not for being stale).
      const verdict = run.promoted.includes(mixtures[1]!.id) ? 'promoted' : run.notPromoted.find((n) => n.id === mixtures[1]!.id)!.reason;
      expect(verdict).not.toContain('fitted_on_champion');
    } finally {
      await e.close();
    }
  }, 120_000);

  it('a mixture fitted on a churn model that is not the champion is not promoted by a training run, and says why', async () => {
    const e = await bankEngine({ customers: 600, seed: 8, stayers: 0.05, leavers: 0.5 });
    try {
      // A churn candidate and no churn champion: the mixture is fitted on the candidate, which serving would not pair it with.
      const churn = await registerChurnModel(e.models.register, e.features.version, new Date(START).toISOString());
      const run = await e.trainModels({ models: ['retention'], promote: true });
      expect(run.promoted).toEqual([]);
      expect(run.trained.map((t) => t.metrics.churnModel)).toEqual([churn]);
      expect(run.notPromoted.map((n) => n.reason)).toEqual([`fitted on ${churn}, which is not the champion now (fitted_on_champion)`]);
      // The rule is the promotion guard's: a person's promote meets it too.
      await expect(e.models.promote(run.trained[0]!.id)).rejects.toMatchObject({ issues: expect.arrayContaining([expect.objectContaining({ rule: 'fitted_on_champion' })]) });
    } finally {
      await e.close();
    }
  }, 120_000);
});
