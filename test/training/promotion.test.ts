import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import { mulberry32 } from '../../src/core/random.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryModelRegistry } from '../../src/store/memory/modelRegistry.js';
import { aucDifference, aucInterval, Z95 } from '../../src/training/aucInterval.js';
import { ModelLifecycle } from '../../src/training/index.js';
import { hanleyMcNeilLower, MIN_TEST_POSITIVES } from '../../src/training/promotion.js';
import { appendAll, syntheticBank } from './synthetic.js';

const DAY = 86_400_000;

/** DeLong's structural components by the definition: every positive against every negative (O(n1 n0)). */
function bruteDeLong(a: number[], b: number[], y: number[]) {
  const psi = (x: number, z: number) => (x > z ? 1 : x === z ? 0.5 : 0);
  const P = y.flatMap((v, i) => (v === 1 ? [i] : []));
  const N = y.flatMap((v, i) => (v === 0 ? [i] : []));
  const comps = (s: number[]) => ({ v10: P.map((i) => N.reduce((t, j) => t + psi(s[i]!, s[j]!), 0) / N.length), v01: N.map((j) => P.reduce((t, i) => t + psi(s[i]!, s[j]!), 0) / P.length) });
  const ca = comps(a);
  const cb = comps(b);
  const mean = (x: number[]) => x.reduce((t, v) => t + v, 0) / x.length;
  const cov = (x: number[], z: number[]) => x.reduce((t, v, i) => t + (v - mean(x)) * (z[i]! - mean(z)), 0) / (x.length - 1);
  const varA = cov(ca.v10, ca.v10) / P.length + cov(ca.v01, ca.v01) / N.length;
  const varB = cov(cb.v10, cb.v10) / P.length + cov(cb.v01, cb.v01) / N.length;
  const covAB = cov(ca.v10, cb.v10) / P.length + cov(ca.v01, cb.v01) / N.length;
  return { aucA: mean(ca.v10), seA: Math.sqrt(varA), seDiff: Math.sqrt(varA + varB - 2 * covAB) };
}

describe('AUC confidence bounds (DeLong)', () => {
  it('agree with DeLong\'s definition computed pair by pair, ties included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 4, max: 60 }), (seed, n) => {
        const rng = mulberry32(seed);
        const y = Array.from({ length: n }, (_, i) => (i < 4 ? i % 2 : rng.next() < 0.3 ? 1 : 0));
        // Rounded scores make ties, which the sorted version must count as halves.
        const a = y.map((v) => Math.round((v + rng.next() * 2) * 4) / 4);
        const b = y.map((v) => Math.round((0.5 * v + rng.next() * 2) * 4) / 4);
        const want = bruteDeLong(a, b, y);
        const got = aucInterval(a, y);
        const diff = aucDifference(a, b, y);
        expect(got.auc).toBeCloseTo(want.aucA, 12);
        expect(got.se).toBeCloseTo(want.seA, 12);
        expect(got.lower).toBeCloseTo(want.aucA - Z95 * want.seA, 12);
        expect(diff.se).toBeCloseTo(want.seDiff, 12);
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('a constant score has AUC 0.5 and a lower bound of exactly 0.5, which the guard\'s "above 0.5" refuses', () => {
    const y = [0, 1, 0, 1, 1, 0, 0, 0];
    expect(aucInterval(y.map(() => 0.2), y)).toMatchObject({ auc: 0.5, lower: 0.5 });
  });

  it('the Hanley-McNeil bound for models registered without one: wide on 2 positives in 15 rows', () => {
    expect(hanleyMcNeilLower(0.5, 2, 13)).toBeLessThan(0.2);
    // On a large binormal sample its standard error is close to DeLong's (Hanley & McNeil assume exponential scores).
    const rng = mulberry32(3);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const y = Array.from({ length: 4000 }, () => (rng.next() < 0.2 ? 1 : 0));
    const d = aucInterval(y.map((v) => normal() + v), y);
    const hm = (d.auc - hanleyMcNeilLower(d.auc, d.positives, d.negatives)) / Z95;
    expect(Math.abs(hm / d.se - 1)).toBeLessThan(0.15);
  });
});

describe('the promotion guard on real training runs', () => {
  const features = FeatureSet.compile(BANK_PACK);
  let lc: ModelLifecycle;
  const bank = syntheticBank({ customers: 160, days: 150, seed: 9 });

  beforeAll(async () => {
    const log = new MemoryEventLog();
    await appendAll(log, bank.events);
    lc = new ModelLifecycle(new MemoryModelRegistry(), { log, features: () => features, now: () => bank.start + bank.days * DAY });
  }, 60_000);

  it('a constant model (trees that cannot split) is trained but never promoted automatically, and the reasons name the rule', async () => {
    const run = await lc.train({ models: ['propensity'], promote: true, gbdt: { minChildWeight: 1e9, rounds: 20 } });
    expect(run.trained.map((t) => t.id)).toContain('propensity_savings@1');
    expect(run.promoted).toEqual([]);
    const why = run.notPromoted.find((n) => n.id === 'propensity_savings@1')!.reason;
    expect(why).toMatch(/auc_above_chance/);
    expect(lc.champions?.versions ?? []).toEqual([]);
  });

  it('a person promoting it is refused with each failed rule named; forcing needs a reason, which the history keeps', async () => {
    await expect(lc.promote('propensity_savings@1')).rejects.toMatchObject({ name: 'PromotionRefused', code: 'VALIDATION_FAILED', issues: [{ field: 'id', rule: 'auc_above_chance' }] });
    await expect(lc.promote('propensity_savings@1', { force: ' ' })).rejects.toMatchObject({ issues: [{ field: 'force', rule: 'reason_required' }] });
    const r = await lc.promote('propensity_savings@1', { force: 'baseline arm of an A/B test, agreed with model risk' });
    expect(r.champion.stage).toBe('champion');
    const [change] = await lc.registry.history('propensity_savings');
    expect(change!.note).toMatch(/^forced by a person: baseline arm of an A\/B test, agreed with model risk \| overrode: .*auc_above_chance FAILED/);
  });

  it('the case of the report: AUC 0.5 on 15 test rows with 2 positives fails both the positives and the chance rule', async () => {
    const real = (await lc.get('propensity_savings@1'))!;
    const { id: _id, version: _v, stage: _s, promotedAt: _p, retiredAt: _r, ...rest } = real;
    const weak = await lc.registry.register({ ...rest, name: 'propensity_credit_card', metrics: { auc: 0.5, testRows: 15, testPositives: 2, testFrom: real.metrics.testFrom } });
    const verdict = await lc.judge(weak.id);
    expect(verdict.allowed).toBe(false);
    expect(verdict.checks.filter((c) => !c.passed).map((c) => c.rule)).toEqual(['enough_test_positives', 'auc_above_chance']);
    expect(verdict.checks[0]!.detail).toBe(`2 positives in 15 test rows (need at least ${MIN_TEST_POSITIVES})`);
  });

  it('a good model passes on its own; the unsupervised families are judged on their card', async () => {
    const run = await lc.train({ models: ['propensity', 'segments'], seed: 3 });
    const good = run.trained.find((t) => t.name === 'propensity_credit_card')!;
    const v = await lc.judge(good.id);
    expect(v.checks.map((c) => [c.rule, c.passed])).toEqual([['enough_test_positives', true], ['auc_above_chance', true]]);
    expect((await lc.judge(run.trained.find((t) => t.name === 'segments')!.id)).rule).toBe('judged_by_card');
  });
});
