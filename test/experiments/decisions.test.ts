import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { sampleRatioMismatch } from '../../src/models/stats/index.js';

/** Assignment at decision time, through the engine: every decision carries its arm; a holdout is never contacted. */
describe('experiments in the decide path', () => {
  let engine: Engine;
  const clock = new ManualClock('2026-03-02T10:00:00Z');
  const ids = Array.from({ length: 400 }, (_, i) => `c${String(i).padStart(4, '0')}`);

  beforeAll(async () => {
    engine = await createEngine({ store: 'memory', log: { level: 'silent' } }, { clock });
    const r = await engine.upsertCustomers(ids.map((customerId) => ({ customerId, dateOfBirth: '1985-06-15', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })));
    expect(r.rejected).toBe(0);
    await engine.experiments.setUniversalControl({ salt: 'ucg-test', share: 0.05 });
    await engine.experiments.create({
      id: 'holdout-2026',
      status: 'running',
      arms: [
        { name: 'engine', kind: 'policy', policy: 'engine', weight: 3 },
        { name: 'holdout', kind: 'holdout', weight: 1 },
      ],
    });
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('records experiment, arm and probability; holdout and universal control choose nothing and commit no contact', async () => {
    const arms = new Map<string, number>();
    let chosenInEngineArm = 0;
    for (const customerId of ids) {
      const d = await engine.decide({ customerId, channel: 'in_app', n: 1 });
      expect(d.experiment, customerId).toBeDefined();
      const x = d.experiment!;
      arms.set(`${x.experimentId}/${x.arm}`, (arms.get(`${x.experimentId}/${x.arm}`) ?? 0) + 1);
      if (x.experimentId === 'universal_control') {
        expect(x).toMatchObject({ arm: 'holdout', heldOut: true, probability: 1, inclusionProbability: 0.05 });
      } else {
        expect(x.probability).toBe(x.arm === 'engine' ? 0.75 : 0.25);
        expect(x.inclusionProbability).toBeCloseTo(0.95, 12);
        expect(x.heldOut).toBe(x.arm === 'holdout');
      }
      if (x.heldOut) {
        expect(d.chosen).toEqual([]);
        expect(d.explanation.winner).toBeUndefined();
      } else if (d.chosen.length > 0) chosenInEngineArm++;
      // the logged record keeps the tag
      expect((await engine.decision(d.decisionId)).experiment).toEqual(x);
    }
    // the engine arm does contact people (otherwise "holdout chose nothing" would prove nothing)
    expect(chosenInEngineArm).toBeGreaterThan(100);
    const ucg = arms.get('universal_control/holdout') ?? 0;
    const engineArm = arms.get('holdout-2026/engine') ?? 0;
    const holdout = arms.get('holdout-2026/holdout') ?? 0;
    expect(ucg + engineArm + holdout).toBe(ids.length);
    expect(ucg).toBeGreaterThan(5);
    expect(ucg).toBeLessThan(40);
    expect(sampleRatioMismatch([engineArm, holdout], [3, 1]).alert).toBe(false);
    // the contact store saw no contact for held-out customers: their next decision's history is empty
    for (const customerId of ids.slice(0, 60)) {
      const next = await engine.decide({ customerId, channel: 'in_app', n: 1 });
      if (next.experiment!.heldOut) expect(next.inputs.history.contacts).toEqual([]);
      else if (next.chosen.length > 0) expect(next.inputs.history.contacts.length).toBeGreaterThan(0);
    }
    // sticky: the same customer gets the same arm on the next decision
    const again = await engine.decide({ customerId: ids[7]!, channel: 'in_app', n: 1 });
    const first = await engine.decide({ customerId: ids[7]!, channel: 'in_app', n: 1 });
    expect(again.experiment).toEqual(first.experiment);
  });

  it('the periodic measurement check reads the outcome and fairness reports of these decisions', async () => {
    const run = await engine.measurement.runOnce(7);
    expect(run.days).toBe(7);
    expect(run.outcomes.customers).toBe(ids.length);
    expect(run.outcomes.heldOut).toBeGreaterThan(0);
    expect(run.fairness.customers).toBe(ids.length);
    expect(engine.measurement.latest()).toBe(run);
  });

  it('a replay of a held-out decision is identical (it chose nothing, and replays choose nothing)', async () => {
    let found: string | undefined;
    for (const customerId of ids) {
      const d = await engine.decide({ customerId, channel: 'in_app', n: 1 });
      if (d.experiment?.heldOut) {
        found = d.decisionId;
        break;
      }
    }
    expect(found).toBeDefined();
    const replay = await engine.replayDecision(found!);
    expect(replay.identical, replay.differences.join('; ')).toBe(true);
  });

  it('refuses a second running experiment overlapping the first in its layer, and stores nothing', async () => {
    await expect(engine.experiments.create({ id: 'clash', status: 'running', arms: [{ name: 'a', kind: 'holdout' }, { name: 'b', kind: 'policy', policy: 'rules' }] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(engine.experiments.get('clash')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await engine.experiments.create({ id: 'other-layer', status: 'running', layer: 'pricing', arms: [{ name: 'a', kind: 'levers', levers: { families: { credit_card: 0 } } }, { name: 'b', kind: 'policy', policy: 'engine' }] });
    expect((await engine.experiments.list()).map((e) => e.experiment.id)).toEqual(['holdout-2026', 'other-layer']);
  });

  it('stops assigning at endAt, and when stopped', async () => {
    let who = '';
    for (const id of ids) if ((await engine.experiments.forDecision(id))?.experimentId === 'holdout-2026') {
      who = id;
      break;
    }
    const before = await engine.experiments.forDecision(who);
    expect(before?.experimentId).toBe('holdout-2026');
    const stored = await engine.experiments.get('holdout-2026');
    await engine.experiments.update('holdout-2026', { ...stored.experiment, endAt: clock.now() + 1000 });
    expect(await engine.experiments.forDecision(who)).toEqual(before);
    clock.set(clock.now() + 2000);
    const after = await engine.experiments.forDecision(who);
    expect(after?.experimentId).not.toBe('holdout-2026');
    await engine.experiments.update('holdout-2026', { ...stored.experiment, endAt: undefined, status: 'stopped' });
    expect((await engine.experiments.forDecision(who))?.experimentId).not.toBe('holdout-2026');
  });
});

describe('a store holding overlapping running experiments (two processes edited at once)', () => {
  it('keeps deciding: the experiment stored first keeps the buckets, the other assigns nobody', async () => {
    const { MemoryExperimentStore } = await import('../../src/store/memory/experimentStore.js');
    const { Experiments } = await import('../../src/experiments/service.js');
    const { parseExperiment } = await import('../../src/experiments/definition.js');
    const store = new MemoryExperimentStore();
    const arms = [{ name: 'a', kind: 'policy', policy: 'engine' }, { name: 'b', kind: 'holdout' }];
    await store.put('first', parseExperiment({ id: 'first', status: 'running', arms }), 0, 0);
    await store.put('second', parseExperiment({ id: 'second', status: 'running', arms }), 0, 0);
    const x = new Experiments(store, new ManualClock(1000));
    const tags = await Promise.all(Array.from({ length: 50 }, (_, i) => x.forDecision(`u${i}`)));
    expect(tags.every((t) => t?.experimentId === 'first')).toBe(true);
  });
});
