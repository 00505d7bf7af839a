import { describe, expect, it } from 'vitest';
import type { PolicyReport } from '../../src/simulation/closedLoop.js';
import { CONTACT_COST_GBP, HARM_COST_GBP, Yardstick, acceptedValue, comparisonTable } from '../../src/simulation/yardstick.js';

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

  it('prints both figures in the comparison table', () => {
    const a = new Yardstick().report(report('rules', 0));
    const lines = comparisonTable([a, { ...a, policy: 'engine', acceptedValueGBP: 123_456, netValueGBP: -1_000, valuePerOfferGBP: 12.5, harm: 3 }]);
    expect(lines[0]).toMatch(/accepted value.*per offer.*harm.*net value/);
    expect(lines[2]).toContain('£123,456');
    expect(lines[2]).toContain('-£1,000');
    expect(lines[2]).toContain('£12.50');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});
