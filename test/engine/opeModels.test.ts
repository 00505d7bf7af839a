import { afterAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../src/core/clock.js';
import { mulberry32 } from '../../src/core/random.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { registerSavingsModel } from '../helpers/models.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
/** The customers' true acceptance of each action (the test's hidden truth). */
const TRUE_ACCEPTANCE: Record<string, number> = { card: 0.1, saver: 0.5, help: 0.3, fund: 0.2 };

describe('off-policy evaluation of a candidate model version', () => {
  let engine: Engine | undefined;
  afterAll(async () => engine?.close());

  it('scores its family with the candidate model, keeps the champions as the reward model, and names a bad version', async () => {
    engine = await createEngine({ store: 'memory', log: { level: 'silent' }, decisioning: { catalogue, bandit: { channels: { in_app: 0.6 }, draws: 300 } } }, { clock: new ManualClock('2026-03-01T12:00:00Z') });
    const n = 300;
    await engine.upsertCustomers(Array.from({ length: n }, (_, k) => ({ customerId: `c${k}`, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })));
    const rng = mulberry32(11);
    const events: unknown[] = [];
    for (let k = 0; k < n; k++) {
      // Fixed decision ids: the bandit's draws (seeded by them) are the same on every run.
      const d = await engine.decide({ customerId: `c${k}`, channel: 'in_app' }, { decisionId: `ope-${k}` });
      const a = d.chosen[0]?.actionId;
      // An exploring draw may offer nothing: that decision is logged with its probability and earns 0.
      if (a === undefined) continue;
      const base = { customerId: `c${k}`, occurredAt: '2026-03-01T12:05:00Z', schemaVersion: 1, type: 'offer_response' };
      events.push({ ...base, eventId: `s${k}`, payload: { decisionId: d.decisionId, actionId: a, channel: 'in_app', response: 'shown' } });
      if (rng.next() < TRUE_ACCEPTANCE[a]!) events.push({ ...base, eventId: `a${k}`, payload: { decisionId: d.decisionId, actionId: a, channel: 'in_app', response: 'accepted' } });
    }
    await engine.ingest(events);
    await engine.consumers.caughtUp(10_000);
    const version = await registerSavingsModel(engine);
    const asLogged = await engine.offPolicyEvaluation({ resamples: 200 });
    const candidate = await engine.offPolicyEvaluation({ models: { savings: version }, resamples: 200 });
    expect(candidate.candidate.models).toEqual({ savings: version });
    expect(candidate.decisions.used).toBe(n);
    // With savings scored at 0.95 the candidate offers the saver nearly everywhere: it agrees less with the log.
    expect(candidate.agreement).toBeLessThan(asLogged.agreement - 0.1);
    expect(candidate.unsupported).toBe(0);
    // The saver's truth is 0.5: the candidate is estimated near it, above what was logged.
    for (const k of ['snips', 'clipped_dr', 'switch_dr'] as const) expect(Math.abs(candidate.acceptance.estimates[k].estimate - 0.5), k).toBeLessThan(0.15);
    expect(candidate.acceptance.estimates.snips.estimate).toBeGreaterThan(asLogged.logged.acceptance);
    // DM is the champions' view of the candidate's choices, not the candidate model's own 0.95.
    expect(candidate.acceptance.estimates.dm.estimate).toBeLessThan(0.9);
    // The reward model recalibrated on the log (cross-fitted by customer) is nearer the truth than the raw priors.
    const raw = await engine.offPolicyEvaluation({ models: { savings: version }, rewardModel: 'scorer', resamples: 200 });
    expect(Math.abs(candidate.acceptance.estimates.dm.estimate - 0.5)).toBeLessThan(Math.abs(raw.acceptance.estimates.dm.estimate - 0.5));
    expect(raw.acceptance.estimates.ips.estimate).toBe(candidate.acceptance.estimates.ips.estimate);
    await expect(engine.offPolicyEvaluation({ models: { savings: 'propensity_savings@99' } })).rejects.toThrow(/propensity_savings@99/);
    await expect(engine.offPolicyEvaluation({ models: { savings: '' } })).rejects.toMatchObject({ details: { issues: [{ field: 'models.savings' }] } });
  }, 60_000);
});
