import { beforeAll, describe, expect, it } from 'vitest';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import { DriftMonitor } from '../../src/governance/driftMonitor.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryModelRegistry } from '../../src/store/memory/modelRegistry.js';
import { compareOnRows, ModelLifecycle, recentRows } from '../../src/training/index.js';
import { appendAll, syntheticBank, type SyntheticBank } from './synthetic.js';

const DAY = 86_400_000;

describe('drift: the bank changes on day 120', () => {
  let bank: SyntheticBank;
  let log: MemoryEventLog;
  let lc: ModelLifecycle;
  let now: number;
  const features = FeatureSet.compile(BANK_PACK);

  beforeAll(async () => {
    bank = syntheticBank({ customers: 300, days: 200, seed: 9, driftDay: 120, offerRate: 0.2 });
    log = new MemoryEventLog();
    await appendAll(log, bank.events);
    now = bank.start + bank.days * DAY;
    lc = new ModelLifecycle(new MemoryModelRegistry(), { log, features: () => features, now: () => now });
    // The champion learned the world before the drift.
    const run = await lc.train({ models: ['propensity'], to: bank.start + 115 * DAY, seed: 1, promote: true });
    expect(run.promoted).toContain('propensity_savings@1');
  }, 60_000);

  it('a check before the drift finds nothing; after it, the savings model is flagged with reasons', async () => {
    const calm = await lc.checkDrift({ days: 25 });
    // "now" is day 200 here; look at a pre-drift window explicitly through the registry instead.
    expect(calm.length).toBeGreaterThan(0);
    const { checkModelDrift } = await import('../../src/training/index.js');
    const before = await checkModelDrift({ log, features, registry: lc.registry }, 'propensity_savings@1', bank.start + 90 * DAY, bank.start + 115 * DAY, 'x');
    expect(before!.drifted).toBe(false);
    const after = calm.find((r) => r.modelId === 'propensity_savings@1')!;
    expect(after.drifted).toBe(true);
    expect(after.reasons.join(' ')).toMatch(/calibration drifted|score distribution shifted|feature logins/);
    expect(after.features.find((f) => f.name === 'logins_30d')!.psi).toBeGreaterThan(0.1);
  });

  it('the scheduled check raises an alert, logs it and retrains a candidate that beats the stale champion on the new data', async () => {
    const logged: { fields: Record<string, unknown>; message: string }[] = [];
    const monitor = new DriftMonitor({
      check: () => lc.checkDrift({ days: 25 }),
      retrain: async (name) => (await lc.retrain(name, { days: 75 })).trained.map((t) => t.id),
      now: () => now,
      log: (fields, message) => logged.push({ fields, message }),
    });
    const run = await monitor.runOnce();
    const alert = run.alerts.find((a) => a.modelName === 'propensity_savings')!;
    expect(alert).toBeDefined();
    expect(alert.retrainedCandidate).toBe('propensity_savings@2');
    expect(monitor.alerts()[0]!.id).toBeGreaterThan(0);
    expect(logged.some((l) => l.fields.event === 'model_drift' && l.fields.model === 'propensity_savings@1')).toBe(true);
    // One retrain serves every drifted propensity family (no second training run).
    expect((await lc.list({ name: 'propensity_savings' })).length).toBe(2);

    const champion = (await lc.registry.champion('propensity_savings'))!;
    const candidate = (await lc.get('propensity_savings@2'))!;
    expect(candidate.stage).toBe('candidate');
    const testFrom = Date.parse(candidate.metrics.testFrom as string);
    const ds = (await recentRows(log, features, 'propensity_savings', testFrom, now))!;
    const cmp = compareOnRows([champion, candidate], ds);
    expect(cmp.rows).toBeGreaterThan(100);
    const [stale, fresh] = cmp.models;
    process.stderr.write(`drift: on ${cmp.rows} post-drift offers, champion AUC ${stale!.auc.toFixed(3)} / log loss ${stale!.logLoss.toFixed(3)}, retrained candidate AUC ${fresh!.auc.toFixed(3)} / log loss ${fresh!.logLoss.toFixed(3)}\n`);
    expect(fresh!.auc).toBeGreaterThan(stale!.auc + 0.1);
    expect(fresh!.logLoss).toBeLessThan(stale!.logLoss);
    // The promotion guard agrees: the candidate beats the stale champion on its own test rows, so a person can promote it without forcing.
    const verdict = await lc.judge('propensity_savings@2');
    expect(verdict.checks.find((c) => c.rule === 'beats_champion')).toMatchObject({ passed: true });
    expect(verdict.allowed).toBe(true);
    await lc.promote('propensity_savings@2');
    expect((await lc.registry.history('propensity_savings')).at(-1)!.note).toMatch(/^enough_test_positives passed.*beats_champion passed/);
  });
});
