import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/core/events.js';
import { ageBand, decisionFairness, type FairnessDecision } from '../../src/experiments/fairness.js';

/**
 * A hand-computed fixture. 10 customers aged 70 (band 65+), 10 aged 40 (35-44).
 * credit_card: chosen for 6 of the 65+ and 3 of the 35-44; 4 of the 35-44 were excluded by an
 * eligibility rule (required), 1 of the 65+ by a contact rule (not required).
 * Selection rates: 65+ 6/10 = 0.6, 35-44 3/10 = 0.3, ratio 0.3/0.6 = 0.5 (below 0.8).
 * Among customers no required rule excluded: 65+ 6/10, 35-44 3/6 = 0.5, ratio 0.5/0.6 = 0.8333.
 * Acceptance among the selected: 65+ 1/6, 35-44 3/3 → ratio (1/6)/1 = 0.1667.
 */
function fixture(): { decisions: FairnessDecision[]; events: StoredEvent[] } {
  const decisions: FairnessDecision[] = [];
  const events: StoredEvent[] = [];
  const add = (i: number, age: number, chosen: boolean, excluded?: { kind: string; rule: string }, accepted = false) => {
    const customerId = `c${i}`;
    const decisionId = `d${i}`;
    decisions.push({ customerId, decisionId, customer: { age, attributes: { sex: i % 2 === 0 ? 'F' : 'M' } }, candidates: [{ actionId: 'card', family: 'credit_card', ...(excluded ? { excludedBy: excluded } : {}) }], chosen: chosen ? [{ actionId: 'card', family: 'credit_card' }] : [] });
    if (accepted) events.push({ seq: i, t: 1, recordedAt: 1, event: { eventId: `e${i}`, customerId, occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1, type: 'offer_response', payload: { decisionId, actionId: 'card', channel: 'in_app', response: 'accepted' } } });
  };
  for (let i = 0; i < 10; i++) add(i, 70, i < 6, i === 9 ? { kind: 'contact', rule: 'cool_off' } : undefined, i === 0);
  for (let i = 10; i < 20; i++) add(i, 40, i < 13, i >= 16 ? { kind: 'eligibility', rule: 'card#1' } : undefined, i < 13);
  // an acceptance linked to another customer's decision does not count
  events.push({ seq: 99, t: 1, recordedAt: 1, event: { eventId: 'e99', customerId: 'c5', occurredAt: '2026-01-01T00:00:00Z', schemaVersion: 1, type: 'offer_response', payload: { decisionId: 'd1', actionId: 'card', channel: 'in_app', response: 'accepted' } } });
  return { decisions, events };
}

describe('decision fairness', () => {
  it('bands ages', () => {
    expect([17, 24, 25, 44, 64, 65, 90, -1].map(ageBand)).toEqual(['18-24', '18-24', '25-34', '35-44', '55-64', '65+', '65+', 'unknown']);
  });

  it('matches the hand-computed selection, acceptance and four-fifths ratios, with required exclusions apart', () => {
    const { decisions, events } = fixture();
    const r = decisionFairness(decisions, events);
    expect(r.attributes).toEqual(['age_band', 'sex', 'age_band & sex']);
    // the intersection: 65+ women are customers 0, 2, 4, 6, 8 (chosen: 0, 2, 4), 35-44 women 10 … 18 (chosen: 10, 12)
    const both = r.families.find((f) => f.family === 'credit_card' && f.attribute === 'age_band & sex')!;
    expect(both.groups.map((g) => [g.group, g.customers, g.selected])).toEqual([
      ['35-44 & F', 5, 2],
      ['35-44 & M', 5, 1],
      ['65+ & F', 5, 3],
      ['65+ & M', 5, 3],
    ]);
    const age = r.families.find((f) => f.family === 'credit_card' && f.attribute === 'age_band')!;
    const [mid, old] = age.groups;
    expect(mid).toMatchObject({ group: '35-44', customers: 10, selected: 3, selectionRate: 0.3, requiredExclusions: 4, requiredRules: { 'card#1': 4 }, accepted: 3, acceptanceRate: 1 });
    expect(old).toMatchObject({ group: '65+', customers: 10, selected: 6, selectionRate: 0.6, requiredExclusions: 0, accepted: 1 });
    expect(old!.acceptanceRate).toBeCloseTo(1 / 6, 12);
    expect(age.selection!.reference).toBe('65+');
    expect(age.selection!.groups.find((g) => g.group === '35-44')!.ratio).toBeCloseTo(0.5, 12);
    expect(age.selectionUnexplained!.groups.find((g) => g.group === '35-44')!.ratio).toBeCloseTo(0.5 / 0.6, 12);
    expect(age.selectionUnexplained!.alert).toBe(false);
    expect(age.acceptance!.groups.find((g) => g.group === '65+')!.ratio).toBeCloseTo(1 / 6, 12);
    // Katz interval of the acceptance ratio: log(1/6) ± 1.96·sqrt(1/1 − 1/6 + 1/3 − 1/3)
    const se = Math.sqrt(1 - 1 / 6 + 1 / 3 - 1 / 3);
    const [lo, hi] = age.acceptance!.groups.find((g) => g.group === '65+')!.interval;
    expect(lo).toBeCloseTo(Math.exp(Math.log(1 / 6) - 1.959963984540054 * se), 9);
    expect(hi).toBeCloseTo(Math.exp(Math.log(1 / 6) + 1.959963984540054 * se), 9);
    // alerts: the unexplained selection is above 0.8; the acceptance ratio is not
    expect(r.alerts.filter((a) => a.attribute === 'age_band')).toEqual([{ family: 'credit_card', attribute: 'age_band', group: '65+', measure: 'acceptance', ratio: expect.closeTo(1 / 6, 12), interval: [lo, hi], significant: hi < 0.8 }]);
  });
});
