import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { registerSavingsModel } from '../helpers/models.js';

/**
 * Every arm kind changes the decision it is applied to. The customers have no history, so
 * the engine ranks the same two actions for each of them (a pension consolidation on top,
 * a regular saver second): what an arm changes shows in what is chosen and how it was scored.
 */
describe('experiment arms are applied to the decision', () => {
  let engine: Engine;
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  const ids = Array.from({ length: 240 }, (_, i) => `a${String(i).padStart(4, '0')}`);
  let saverModel = '';
  let versionInForce = '';
  let noPensionVersion = '';

  beforeAll(async () => {
    engine = await createEngine({ store: 'memory', log: { level: 'silent' } }, { clock });
    await engine.upsertCustomers(ids.map((customerId) => ({ customerId, dateOfBirth: '1985-06-15', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })));
    saverModel = await registerSavingsModel(engine);
    // Customers without history are worth little against a contact's fatigue cost: every product family
    // weighed up alike keeps the ranking and lets the decisions choose.
    const all = { savings: 20, credit_card: 20, investment: 20, pension: 20, personal_loan: 20, retention: 20, refinancing: 20 };
    await engine.catalogue.setLevers({ families: all, actions: {} });
    versionInForce = engine.catalogue.catalogueVersion;
    const original = structuredClone(engine.catalogue.catalogue);
    await engine.catalogue.setLevers({ families: { ...all, pension: 0 }, actions: {} });
    noPensionVersion = engine.catalogue.catalogueVersion;
    await engine.catalogue.replaceCatalogue(original);
    expect(engine.catalogue.catalogueVersion).toBe(versionInForce);
    expect(noPensionVersion).not.toBe(versionInForce);
  });
  afterAll(async () => {
    await engine?.close();
  });

  // Fixed decision ids seed the random arm's draws: the same decisions on every run.
  let decisions = 0;
  async function decideAll(): Promise<Map<string, { chosen: string[]; record: Awaited<ReturnType<Engine['decide']>> }[]>> {
    const byArm = new Map<string, { chosen: string[]; record: Awaited<ReturnType<Engine['decide']>> }[]>();
    for (const customerId of ids) {
      const d = await engine.decide({ customerId, channel: 'in_app', n: 1 }, { decisionId: `arms-${++decisions}` });
      const arm = d.experiment?.arm ?? 'none';
      byArm.set(arm, [...(byArm.get(arm) ?? []), { chosen: d.chosen.map((c) => c.actionId), record: d }]);
      const replay = await engine.replayDecision(d.decisionId);
      expect(replay.identical, `${arm}: ${replay.differences.join('; ')}`).toBe(true);
    }
    return byArm;
  }

  it('catalogue, model and random-policy arms each change what is chosen, and replay identically', async () => {
    await engine.experiments.create({
      id: 'arms-1',
      status: 'running',
      control: 'engine',
      arms: [
        { name: 'engine', kind: 'policy', policy: 'engine' },
        { name: 'no-pension', kind: 'catalogue', catalogueVersion: noPensionVersion },
        { name: 'saver-model', kind: 'model', models: { savings: saverModel } },
        { name: 'random', kind: 'policy', policy: 'random' },
      ],
    });
    const byArm = await decideAll();
    const chosen = (arm: string) => byArm.get(arm)!.map((x) => x.chosen[0] ?? 'none');
    for (const arm of ['engine', 'no-pension', 'saver-model', 'random']) expect(byArm.get(arm)?.length ?? 0, arm).toBeGreaterThan(30);
    // the engine: the pension consolidation, on priors, in the catalogue in force
    expect(new Set(chosen('engine'))).toEqual(new Set(['pen_consolidate']));
    for (const x of byArm.get('engine')!) {
      expect(x.record.catalogueVersion).toBe(versionInForce);
      expect(x.record.candidates.find((c) => c.actionId === 'sav_regular_saver')!.propensitySource).toBe('prior');
    }
    // the catalogue arm decides on its own version: pension weighted 0
    expect(new Set(chosen('no-pension'))).toEqual(new Set(['sav_regular_saver']));
    for (const x of byArm.get('no-pension')!) expect(x.record.catalogueVersion).toBe(noPensionVersion);
    // the model arm scores savings with the named model version (0.95), the rest on priors
    expect(new Set(chosen('saver-model'))).toEqual(new Set(['sav_regular_saver']));
    for (const x of byArm.get('saver-model')!) {
      const saver = x.record.candidates.find((c) => c.actionId === 'sav_regular_saver')!;
      expect(saver.propensitySource).toBe('model');
      expect(saver.modelVersion).toBe(saverModel);
      expect(saver.propensity).toBeGreaterThan(0.9);
      expect(x.record.models).toEqual({ sav_regular_saver: saverModel });
    }
    // the random policy picks either ranked action, about half the time each
    const r = chosen('random');
    const savers = r.filter((a) => a === 'sav_regular_saver').length;
    expect(savers).toBeGreaterThan(r.length * 0.25);
    expect(savers).toBeLessThan(r.length * 0.75);
    expect(new Set(r)).toEqual(new Set(['sav_regular_saver', 'pen_consolidate']));
    // each had probability 1/2, recorded for off-policy evaluation; other arms record none
    for (const x of byArm.get('random')!) expect(x.record.experiment!.actionProbability).toBe(0.5);
    for (const x of byArm.get('engine')!) expect(x.record.experiment!.actionProbability).toBeUndefined();
    await engine.experiments.update('arms-1', { ...(await engine.experiments.get('arms-1')).experiment, status: 'stopped' });
  });

  it('a rules arm decides on priors while the engine serves a champion model', async () => {
    clock.set(clock.now() + 120 * 86_400_000); // past the first test's contact caps
    await engine.models.promote(saverModel, { force: 'test: serve the savings model as champion' });
    await engine.experiments.create({ id: 'arms-2', status: 'running', control: 'engine', arms: [{ name: 'engine', kind: 'policy', policy: 'engine' }, { name: 'rules', kind: 'policy', policy: 'rules' }] });
    const byArm = await decideAll();
    expect(new Set(byArm.get('engine')!.map((x) => x.chosen[0]))).toEqual(new Set(['sav_regular_saver']));
    expect(new Set(byArm.get('rules')!.map((x) => x.chosen[0]))).toEqual(new Set(['pen_consolidate']));
    for (const x of byArm.get('rules')!) expect(x.record.models).toEqual({});
    await engine.experiments.update('arms-2', { ...(await engine.experiments.get('arms-2')).experiment, status: 'stopped' });
  });

  it('refuses arms naming a catalogue version or model that does not exist, naming the field', async () => {
    const bad = (arms: unknown[]) => engine.experiments.create({ id: 'bad', status: 'draft', arms: [{ name: 'engine', kind: 'policy', policy: 'engine' }, ...arms] });
    await expect(bad([{ name: 'x', kind: 'catalogue', catalogueVersion: 'nope' }])).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ field: 'arms.1.catalogueVersion', rule: 'known_version' }] } });
    await expect(bad([{ name: 'x', kind: 'model', models: { savings: 'propensity_savings@99' } }])).rejects.toMatchObject({ details: { issues: [{ field: 'arms.1.models.savings', rule: 'known_model' }] } });
    await expect(bad([{ name: 'x', kind: 'model', models: { pension: saverModel } }])).rejects.toMatchObject({ details: { issues: [{ field: 'arms.1.models.pension', rule: 'family_model' }] } });
    await expect(engine.experiments.get('bad')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
