import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { DAY, registerChurnModel, retentionBank, START } from '../training/retentionBank.js';

describe('production serves scores.leaving_given_retention from the retention family', () => {
  let engine: Engine | undefined;
  afterAll(async () => engine?.close());

  it('trains on the catalogue’s retention offers, and a decision carries the score in its inputs and record', async () => {
    engine = await createEngine({ store: 'memory', log: { level: 'silent' } }, { clock: new ManualClock(new Date(START + 201 * DAY).toISOString()) });
    // The built-in catalogue values ret_loyalty_rate as retention: its offers train the family; savings_easy_access's do not.
    const events = retentionBank({ customers: 1500, seed: 7, stayers: 0.03, leavers: 0.45 });
    const ids = [...new Set(events.map((e) => e.customerId))];
    await engine.upsertCustomers(ids.map((customerId) => ({ customerId, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })));
    const report = await engine.ingest(events);
    expect(report.rejected).toBe(0);
    await engine.consumers.caughtUp(30_000);
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
  }, 120_000);
});
