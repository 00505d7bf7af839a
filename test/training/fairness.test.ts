import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { auditModelFairness, fairnessStatement, MIN_GROUP, protectedGroups } from '../../src/training/fairness.js';
import { renderModelCard } from '../../src/governance/modelCard.js';
import { buildModelCard } from '../../src/training/card.js';

describe('the fairness audit of a model version', () => {
  it('protected groups: age band at the row time, sex where recorded, vulnerability', () => {
    const c = { customerId: 'x', dateOfBirth: '1961-06-15', vulnerabilityFlags: ['bereavement'], attributes: { sex: 'female' } } as never;
    expect(protectedGroups(c, Date.parse('2026-06-14T12:00:00Z'))).toEqual({ age_band: '55-64', vulnerable: 'yes', sex: 'female' });
    expect(protectedGroups(c, Date.parse('2026-06-15T12:00:00Z'))).toEqual({ age_band: '65+', vulnerable: 'yes', sex: 'female' });
    expect(protectedGroups(undefined, 0)).toEqual({ age_band: 'unknown', vulnerable: 'unknown' });
  });

  it('flags a model that ranks one group down, per attribute and in the intersections; a fair one is not flagged', () => {
    const rng = mulberry32(15);
    // 2000 rows, older and younger, men and women; the label has the same rate everywhere.
    const rows = Array.from({ length: 2000 }, (_, i) => {
      const groups = { age_band: i % 2 === 0 ? '65+' : '35-44', sex: i % 3 === 0 ? 'female' : 'male' };
      const label = rng.next() < 0.2 ? 1 : 0;
      const fair = Math.min(0.99, Math.max(0.01, 0.2 + (label ? 0.25 : -0.05) + 0.1 * (rng.next() - 0.5)));
      return { groups, label, fair };
    });
    const fair = auditModelFairness(rows.map((r) => ({ groups: r.groups, label: r.label, score: r.fair })));
    expect(fair.rows).toBe(2000);
    expect(fair.attributes.map((a) => a.attribute)).toEqual(['age_band', 'sex', 'age_band & sex']);
    expect(fair.flags).toEqual([]);
    expect(fairnessStatement(fair)).toMatch(/No disparity beyond the thresholds/);
    // the same model with the 65+ scores cut to 30%: selected less, TPR lower, under-predicted
    const biased = auditModelFairness(rows.map((r) => ({ groups: r.groups, label: r.label, score: r.groups.age_band === '65+' ? r.fair * 0.3 : r.fair })));
    const age = biased.attributes.find((a) => a.attribute === 'age_band')!;
    expect(age.demographicParityRatio).toBeLessThan(0.8);
    expect(age.fourFifths!.groups.find((g) => g.group === '65+')!.significantlyBelow).toBe(true);
    expect(age.flags.join(' ')).toMatch(/demographic parity ratio .* < 0.8/);
    expect(age.flags.join(' ')).toMatch(/65\+ is under-predicted/);
    // the intersections carry it too; sex alone does not
    expect(biased.attributes.find((a) => a.attribute === 'age_band & sex')!.flags.length).toBeGreaterThan(0);
    expect(biased.attributes.find((a) => a.attribute === 'sex')!.flags.filter((f) => f.includes('parity'))).toEqual([]);
    // the selected count is the top 20%: 400 rows
    expect(age.groups.reduce((s, g) => s + g.selectionRate * g.n, 0)).toBeCloseTo(400, 6);
    // and it reaches the card
    const card = buildModelCard({ title: 't', intendedUse: 'u', outOfScope: 'o', window: { from: 'a', to: 'b' }, rows: 1, label: 'l', split: 's', definitionsHash: 'h', features: [], metrics: {}, limitations: [], fairness: fairnessStatement(biased), fairnessAudit: biased });
    const md = renderModelCard({ id: 'm@1', stage: 'candidate', kind: 'gbdt', createdAt: 'now', promotedAt: null, card, params: {} });
    expect(md).toContain('| age_band | 65+ |');
    expect(md).toMatch(/Flags: age_band: demographic parity ratio/);
  });

  it('reports groups too small to judge without flagging them', () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ groups: { age_band: i < MIN_GROUP - 1 ? '18-24' : '35-44' }, label: i % 4 === 0 ? 1 : 0, score: i < MIN_GROUP - 1 ? 0.01 : (i % 4 === 0 ? 0.9 : 0.1) }));
    const a = auditModelFairness(rows).attributes[0]!;
    expect(a.groups.find((g) => g.group === '18-24')!.judged).toBe(false);
    expect(a.flags).toEqual([]);
  });
});
