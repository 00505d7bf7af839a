import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { ModelRegistry, NewModel } from '../../src/store/modelRegistry.js';

/** A registrable model; `i` varies the content so versions differ. */
export function newModel(name: string, i = 0, createdAt = `2026-01-0${1 + (i % 9)}T00:00:00.000Z`): NewModel {
  return {
    name,
    kind: 'gbdt',
    trainingWindow: { from: '2025-01-01T00:00:00.000Z', to: '2025-06-30T00:00:00.000Z' },
    features: ['logins_30d', 'idle_cash'],
    definitionsHash: 'abcd1234',
    params: { rounds: 50 + i, learningRate: 0.1 },
    metrics: { auc: 0.7 + i / 100, logLoss: 0.4 },
    card: {
      title: `${name} v${i}`,
      intendedUse: 'ranking offers',
      outOfScope: 'credit decisions',
      data: { window: { from: '2025-01-01T00:00:00.000Z', to: '2025-06-30T00:00:00.000Z' }, rows: 1000, positives: 100, label: 'accepted within 14 days', split: 'time' },
      features: { count: 2, definitionsHash: 'abcd1234', names: ['logins_30d', 'idle_cash'] },
      metrics: { auc: 0.7 + i / 100 },
      limitations: ['synthetic data'],
      fairness: 'not audited',
    },
    artefact: { format: 'nextbest-gbdt', trees: [{ leaf: i }], weights: [0.5, -1.25, 1e-300] },
    driftReference: { features: { logins_30d: { edges: [0, 1, 2] } } },
    createdAt,
  };
}

const at = (d: number) => `2026-02-${String(d).padStart(2, '0')}T10:00:00.000Z`;

/** The one contract every ModelRegistry adapter passes (STYLE.md 11). */
export function modelRegistryContract(name: string, open: () => Promise<ModelRegistry>): void {
  describe(`ModelRegistry contract: ${name}`, () => {
    let reg: ModelRegistry;
    beforeEach(async () => {
      reg = await open();
    });
    afterEach(async () => {
      await reg.close();
    });

    it('keeps drift checks over time per model, oldest first, the most recent N', async () => {
      const check = (modelId: string, d: number, psi: number) => ({ modelId, checkedAt: at(d), rows: 100 * d, scorePsi: psi, features: { logins_30d: psi / 2, idle_cash: 0.01 }, ece: d % 2 ? null : 0.03, drifted: psi > 0.25, reasons: psi > 0.25 ? ['score PSI above 0.25'] : [] });
      for (let d = 1; d <= 5; d++) await reg.recordDriftCheck(check('m@1', d, d / 10));
      await reg.recordDriftCheck(check('other@1', 3, 0.9));
      const all = await reg.driftChecks('m@1', 100);
      expect(all.map((c) => c.checkedAt)).toEqual([1, 2, 3, 4, 5].map(at));
      expect(all[4]).toEqual(check('m@1', 5, 0.5));
      expect((await reg.driftChecks('m@1', 2)).map((c) => c.scorePsi)).toEqual([0.4, 0.5]);
      expect(await reg.driftChecks('none@1', 10)).toEqual([]);
    });

    it('registers versions per name as candidates and gives back exactly what was stored', async () => {
      const a1 = await reg.register(newModel('propensity', 1));
      const a2 = await reg.register(newModel('propensity', 2));
      const b1 = await reg.register(newModel('churn_cox', 3));
      expect([a1.id, a2.id, b1.id]).toEqual(['propensity@1', 'propensity@2', 'churn_cox@1']);
      expect(a2.version).toBe(2);
      expect(a1.stage).toBe('candidate');
      const got = await reg.get('propensity@2');
      const src = newModel('propensity', 2);
      expect(got?.artefact).toEqual(src.artefact);
      expect(got?.driftReference).toEqual(src.driftReference);
      expect(got?.card).toEqual(src.card);
      expect(got?.params).toEqual(src.params);
      expect(got?.metrics).toEqual(src.metrics);
      expect(got?.features).toEqual(src.features);
      expect(got?.definitionsHash).toBe('abcd1234');
      expect(got?.trainingWindow).toEqual(src.trainingWindow);
      expect(got?.promotedAt).toBeNull();
      expect(await reg.get('propensity@9')).toBeUndefined();
    });

    it('lists newest first, filtered by name and stage, without artefacts', async () => {
      await reg.register(newModel('propensity', 1));
      await reg.register(newModel('propensity', 2));
      await reg.register(newModel('churn_cox', 3));
      const all = await reg.list();
      expect(all.map((m) => m.id)).toEqual(['churn_cox@1', 'propensity@2', 'propensity@1']);
      expect('artefact' in all[0]!).toBe(false);
      expect((await reg.list({ name: 'propensity' })).map((m) => m.id)).toEqual(['propensity@2', 'propensity@1']);
      await reg.promote('propensity@1', at(1));
      expect((await reg.list({ stage: 'champion' })).map((m) => m.id)).toEqual(['propensity@1']);
      expect((await reg.list({ name: 'propensity', stage: 'candidate' })).map((m) => m.id)).toEqual(['propensity@2']);
    });

    it('promotes candidate → champion, retiring the old champion; one champion per name', async () => {
      await reg.register(newModel('propensity', 1));
      await reg.register(newModel('propensity', 2));
      await reg.register(newModel('churn_cox', 1));
      const first = await reg.promote('propensity@1', at(1));
      expect(first.retired).toBeNull();
      expect(first.champion.stage).toBe('champion');
      expect(first.champion.promotedAt).toBe(at(1));
      await reg.promote('churn_cox@1', at(1));
      const second = await reg.promote('propensity@2', at(2));
      expect(second.retired?.id).toBe('propensity@1');
      expect(second.retired?.stage).toBe('retired');
      expect(second.retired?.retiredAt).toBe(at(2));
      expect((await reg.champion('propensity'))?.id).toBe('propensity@2');
      expect((await reg.champion('churn_cox'))?.id).toBe('churn_cox@1');
      expect((await reg.list({ name: 'propensity', stage: 'champion' })).length).toBe(1);
      expect(await reg.champion('prepayment')).toBeUndefined();
    });

    it('rolls back to the previous champion, twice, then refuses', async () => {
      for (let i = 1; i <= 3; i++) await reg.register(newModel('propensity', i));
      await reg.promote('propensity@1', at(1));
      await reg.promote('propensity@2', at(2));
      await reg.promote('propensity@3', at(3));
      const r1 = await reg.rollback('propensity', at(4));
      expect(r1.champion.id).toBe('propensity@2');
      expect(r1.retired.id).toBe('propensity@3');
      expect((await reg.get('propensity@3'))?.stage).toBe('retired');
      const r2 = await reg.rollback('propensity', at(5));
      expect(r2.champion.id).toBe('propensity@1');
      expect(r2.champion.promotedAt).toBe(at(5));
      await expect(reg.rollback('propensity', at(6))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((await reg.champion('propensity'))?.id).toBe('propensity@1');
      const h = await reg.history('propensity');
      expect(h.map((c) => `${c.action}:${c.modelId}`)).toEqual(['promote:propensity@1', 'promote:propensity@2', 'promote:propensity@3', 'rollback:propensity@2', 'rollback:propensity@1']);
      expect(h.map((c) => c.note)).toEqual([null, null, null, null, null]);
    });

    it('keeps the note of a promotion (why it was allowed) in the history', async () => {
      await reg.register(newModel('propensity', 1));
      await reg.promote('propensity@1', at(1), 'forced: constant model kept for an A/B baseline');
      expect((await reg.history('propensity')).map((c) => c.note)).toEqual(['forced: constant model kept for an A/B baseline']);
    });

    it('a retired model can be promoted again, and a rollback then returns to the one it displaced', async () => {
      for (let i = 1; i <= 2; i++) await reg.register(newModel('propensity', i));
      await reg.promote('propensity@1', at(1));
      await reg.promote('propensity@2', at(2));
      await reg.promote('propensity@1', at(3));
      expect((await reg.champion('propensity'))?.id).toBe('propensity@1');
      const r = await reg.rollback('propensity', at(4));
      expect(r.champion.id).toBe('propensity@2');
    });

    it('rejects unknown ids, double promotion, rollback without a champion and bad input, changing nothing', async () => {
      await reg.register(newModel('propensity', 1));
      await expect(reg.promote('propensity@7', at(1))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await reg.promote('propensity@1', at(1));
      await expect(reg.promote('propensity@1', at(2))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(reg.rollback('churn_cox', at(2))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(reg.register({ ...newModel('Bad Name', 1) })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ field: 'name', rule: 'snake_case' }] });
      await expect(reg.register({ ...newModel('x', 1), trainingWindow: { from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((await reg.list()).map((m) => m.id)).toEqual(['propensity@1']);
      expect((await reg.history('propensity')).length).toBe(1);
    });
  });
}
