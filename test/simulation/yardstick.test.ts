import { describe, expect, it } from 'vitest';
import type { PolicyReport } from '../../src/simulation/closedLoop.js';
import { CONTACT_COST_GBP, HARM_COST_GBP, Yardstick, acceptedValue, comparisonTable, summariseComparison } from '../../src/simulation/yardstick.js';

const report = (policy: string, offersShown: number): PolicyReport => ({
  policy,
  scenario: 't',
  seed: 1,
  customers: 10,
  days: 30,
  offersShown,
  accepted: 0,
  acceptanceRate: 0,
  offerRevenueGBP: 0,
  marginGBP: 0,
  clvPerCustomerGBP: 0,
  churned: 0,
  churnRate: 0,
  contactsPerCustomer: offersShown / 10,
  harm: 0,
  consentBreaches: 0,
  byFamily: {},
  feed: null,
});

describe('the twin yardstick', () => {
  it('keeps the oracle yardstick and adds first suitable take-ups net of contact and harm costs, and value per offer', () => {
    const y = new Yardstick();
    for (let k = 0; k < 4; k++) y.shown('email');
    y.shown('call_centre');
    y.accepted('c1', 'savings', false, true);
    y.accepted('c1', 'savings', false, true); // a second take-up of the same family
    y.accepted('c2', 'personal_loan', false, false); // unsuitable: refunded, plus the harm cost
    y.accepted('c3', 'retention', true, true);
    const r = y.report(report('p', 5));
    const value = 2 * acceptedValue('savings', false) + acceptedValue('personal_loan', false) + 400;
    expect(r.acceptedValueGBP).toBe(value);
    expect(r.contactCostGBP).toBe(4 * CONTACT_COST_GBP.email + CONTACT_COST_GBP.call_centre);
    expect(r.harmCostGBP).toBe(HARM_COST_GBP);
    expect(r.valuePerOfferGBP).toBeCloseTo(value / 5, 2);
    expect(r.repeatAccepted).toBe(1);
    // The repeat and the unsuitable loan add nothing to the fairer figure.
    expect(r.firstTakeUpValueGBP).toBe(acceptedValue('savings', false) + 400);
    expect(r.netValueGBP).toBeCloseTo(r.firstTakeUpValueGBP - HARM_COST_GBP - r.contactCostGBP, 6);
  });

  it('summarises every arm against the value oracle, random and rules, and checks the goal for the engine', () => {
    const arm = (policy: string, acceptedValueGBP: number, netValueGBP: number, harm: number, churnRate: number) => ({ ...new Yardstick().report(report(policy, 10)), acceptedValueGBP, netValueGBP, harm, churnRate });
    const s = summariseComparison([
      arm('engine', 5_000, 900, 1, 0.01),
      arm('rules', 3_000, 600, 3, 0.01),
      arm('random', 2_500, -100, 6, 0.02),
      arm('oracle-value', 6_000, 1_000, 0, 0.005),
      arm('no-contact', 0, 0, 0, 0.03),
    ]);
    expect(s.rows[0]).toMatchObject({ netVsValueOracle: 0.9, acceptedVsRandom: 2, harmVsRules: 0.333, churnVsRules: 1 });
    expect(s.rows[4]).toMatchObject({ netVsValueOracle: 0, acceptedVsRandom: 0, harmVsRules: 0, churnVsRules: 3 });
    expect(s.goal).toEqual([{ policy: 'engine', netVsValueOracle: true, acceptedVsRandom: true, harmVsRules: true, churnVsRules: true, met: true }]);
    const worse = summariseComparison([arm('engine', 5_000, 899, 2, 0.011), arm('rules', 3_000, 600, 3, 0.01), arm('oracle-value', 6_000, 1_000, 0, 0.005)]);
    expect(worse.goal[0]).toEqual({ policy: 'engine', netVsValueOracle: false, acceptedVsRandom: null, harmVsRules: false, churnVsRules: false, met: false });
    expect(worse.rows[0]!.acceptedVsRandom).toBeNull();
  });

  it('prints the summary as a table with the ratios and the goal', () => {
    const a = new Yardstick().report(report('rules', 0));
    const lines = comparisonTable([
      { ...a, acceptedValueGBP: 1_000, netValueGBP: 500, harm: 3 },
      { ...a, policy: 'engine', acceptedValueGBP: 123_456, netValueGBP: -1_000, harm: 1 },
    ]);
    expect(lines[0]).toMatch(/accepted value.*net value.*contacts\/cust.*churn.*harm.*accept.*net\/oracle-value.*accepted\/random.*harm\/rules.*churn\/rules/);
    expect(lines[2]).toContain('£123,456');
    expect(lines[2]).toContain('-£1,000');
    expect(lines[2]).toContain('0.33×');
    expect(new Set(lines.slice(0, 3).map((l) => l.length)).size).toBe(1);
    expect(lines[3]).toMatch(/^goal \(engine\): net ≥ 0.9× value oracle n\/a; accepted ≥ 2× random n\/a; harm ≤ rules\/3 met; churn ≤ rules met$/);
  });
});
