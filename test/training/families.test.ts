import { describe, expect, it } from 'vitest';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import { buildFeatureMatrix } from '../../src/features/offline.js';
import { STRESS_STATES } from '../../src/models/markov/states.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryModelRegistry } from '../../src/store/memory/modelRegistry.js';
import { activityStateOf, probabilityReachedWithin } from '../../src/training/families/activity.js';
import { FAMILIES, MODEL_JOBS, familyOf, jobOfModel, type AnyFamily } from '../../src/training/families/index.js';
import { customersSeen } from '../../src/training/families/population.js';
import { segmentOf, type SegmentArtefact } from '../../src/training/families/segments.js';
import { stressOf } from '../../src/training/families/stress.js';
import { ModelLifecycle } from '../../src/training/index.js';
import { appendAll, syntheticBank } from './synthetic.js';

const LIST = FAMILIES as readonly AnyFamily[];
const DAY = 86_400_000;

describe('the list of model families', () => {
  it('names each family, job and rule score once; every family that trains has a job, a transform and a promotion rule', () => {
    const keys = LIST.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(MODEL_JOBS).size).toBe(MODEL_JOBS.length);
    expect([...MODEL_JOBS].sort()).toEqual(['activity', 'churn', 'clv', 'prepayment', 'propensity', 'retention', 'segments']);
    const rules = LIST.flatMap((f) => f.ruleScores.map((r) => r.name));
    expect(new Set(rules).size).toBe(rules.length);
    for (const f of LIST) {
      expect(f.summary.length, f.key).toBeGreaterThan(10);
      expect(f.transform.length, f.key).toBeGreaterThan(10);
      expect(f.train !== undefined, f.key).toBe(f.job !== undefined);
    }
  });

  it('routes registry names to their family, job and drift label', () => {
    expect(familyOf('propensity_savings')?.key).toBe('propensities');
    expect(jobOfModel('churn_cox')).toBe('churn');
    expect(jobOfModel('activity_chain')).toBe('activity');
    expect(jobOfModel('crystal_ball')).toBeUndefined();
    expect(familyOf('propensity_savings')!.driftLabel('propensity_savings')).toMatchObject({ def: { name: 'offer_acceptance' }, action: 'savings' });
    expect(familyOf('prepayment_90d')!.driftLabel('prepayment_90d')).toMatchObject({ def: { name: 'prepayment' } });
    expect(familyOf('churn_cox')!.driftLabel('churn_cox')).toBeUndefined();
    expect(familyOf('churn_cox')!.driftNote).toMatch(/survival/);
    expect(familyOf('propensity_savings')!.promotion('propensity_savings')).toBe('binary_auc');
    expect(familyOf('segments')!.promotion('segments')).toBe('judged_by_card');
  });

  it('financial_stress is the index of the stress state in the states list it imports', () => {
    const stress = LIST.find((f) => f.key === 'stress')!;
    const read = (values: Record<string, number>) => stress.ruleScores[0]!.read(stressOf((n) => values[n] ?? Number.NaN));
    expect(read({})).toBe(STRESS_STATES.indexOf('current'));
    expect(read({ loan_repayments_missed_365d: 1 })).toBe(STRESS_STATES.indexOf('arrears30'));
    expect(read({ loan_repayments_missed_365d: 5 })).toBe(STRESS_STATES.indexOf('arrears90plus'));
    expect(read({ overdraft_days_90d: 60 })).toBe(STRESS_STATES.indexOf('stretched'));
  });

  it('activity states from the profile, and the chance of reaching dormancy within n months by first passage', () => {
    const state = (v: Record<string, number>) => activityStateOf((n) => v[n] ?? Number.NaN);
    expect(state({})).toBe('dormant');
    expect(state({ days_since_last_activity: 31 })).toBe('dormant');
    expect(state({ days_since_last_activity: 1, logins_trend_30d: 1, card_spend_30d: 100, card_spend_90d: 300 })).toBe('active');
    expect(state({ days_since_last_activity: 1, logins_trend_30d: 0.2, card_spend_30d: 20, card_spend_90d: 300 })).toBe('declining');
    expect(state({ days_since_last_activity: 1 })).toBe('active'); // no baseline to fall from
    // Two states, leaving state 0 for state 1 with probability q each month: P(reached within n) = 1 - (1-q)^n.
    const q = 0.2;
    const p = probabilityReachedWithin([[1 - q, q], [0.5, 0.5]], [1], 3);
    expect(p[0]).toBeCloseTo(1 - (1 - q) ** 3, 12);
    expect(p[1]).toBe(1);
  });
});

describe('segments: one transform for training and serving', () => {
  it('serving places every training customer in the segment k-means gave them (the segment sizes match exactly)', async () => {
    const bank = syntheticBank({ customers: 200, days: 120, seed: 13 });
    const log = new MemoryEventLog();
    await appendAll(log, bank.events);
    const features = FeatureSet.compile(BANK_PACK);
    const lc = new ModelLifecycle(new MemoryModelRegistry(), { log, features: () => features, now: () => bank.start + bank.days * DAY });
    const run = await lc.train({ models: ['segments'], seed: 4 });
    const rec = (await lc.get(run.trained[0]!.id))!;
    const asOf = Date.parse(run.window.to) - 1;
    const ids = await customersSeen({ log }, asOf);
    const fm = await buildFeatureMatrix(log, features, ids.map((customerId) => ({ customerId, asOf })));
    const F = features.size;
    const sizes = new Array<number>((rec.artefact as SegmentArtefact).names.length).fill(0);
    ids.forEach((_, i) => sizes[segmentOf(rec.artefact as SegmentArtefact, (n) => fm.values[i * F + features.names.indexOf(n)]!)]!++);
    expect(sizes).toEqual(rec.metrics.sizes);
  }, 60_000);
});
