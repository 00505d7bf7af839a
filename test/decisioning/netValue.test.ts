import { describe, it, expect } from 'vitest';
import { compileCatalogue, evaluate, explain, parseCatalogue, parseCatalogueYaml, priorOnly, select, type Catalogue, type DecisionInputs, type PropensityScorer } from '../../src/decisioning/index.js';
import { readFileSync } from 'node:fs';
import { rig, scenarioCatalogue } from './rig.js';

const NOW = Date.parse('2026-03-02T10:00:00Z');
const DAY = 86_400_000;

function inputs(over: Partial<DecisionInputs> = {}, customer: Partial<DecisionInputs['customer']> = {}): DecisionInputs {
  return {
    customer: { id: 'c1', age: 40, resident: true, country: 'GB', timeZone: 'Europe/London', riskTolerance: 'medium', riskLevel: 2, sophistication: 'experienced', novice: false, vulnerable: false, vulnerabilityFlags: [], holdings: [], tenureDays: 1000, segment: 'all', horizon: 'long', attributes: {}, ...customer },
    profile: { idle_cash: 20_000 },
    profileVersion: 'test',
    scores: {},
    consents: { marketing: true, personalised_offers: true },
    history: { contacts: [], declines: [] },
    context: {},
    sessionId: null,
    ...over,
  };
}

const withArbitration = (a: Partial<Catalogue['arbitration']>, actions?: Catalogue['actions']): Catalogue => {
  const c = scenarioCatalogue();
  return parseCatalogue({ ...c, arbitration: { ...c.arbitration, ...a }, ...(actions ? { actions } : {}) });
};

const trace = (cat: Catalogue, i: DecisionInputs, id: string, channel = 'in_app', scorer: PropensityScorer = priorOnly) => evaluate(compileCatalogue(cat), i, { now: NOW, channel, levers: { families: {}, actions: {} }, scorer }).traces.find((t) => t.actionId === id)!;

describe('arbitration on expected net value', () => {
  it('"no action" wins when nothing has a positive expected net value, and the record says so', async () => {
    const base = scenarioCatalogue();
    // Every action worth less than a contact: 0.1 x £5 = £0.50 < £1.
    const cheap = parseCatalogue({ ...base, actions: base.actions.map((a) => ({ ...a, value: { ...a.value, amountGbp: 5 }, prior: 0.1 })) });
    const { d, customer } = rig({ catalogue: cheap });
    customer({ customerId: 'c1' }, { idle_cash: 20_000 });
    const r = await d.decide({ customerId: 'c1', channel: 'in_app', n: 2 });
    expect(r.chosen).toEqual([]);
    expect(r.candidates.find((t) => t.actionId === 'card')).toMatchObject({ status: 'excluded', priority: -0.5, excludedBy: { kind: 'arbitration', rule: 'no_action', reason: 'expected net value -£0.50 is not above doing nothing (£0.00)' }, netValue: { expectedValue: 0.5, contactCost: 1 } });
    expect(r.explanation.noAction?.chosen).toBe(true);
    expect(r.explanation.noAction?.reason).toMatch(/^no action: none of the \d+ actions that passed every policy had an expected net value above £0/);
  });

  it('charges the channel contact cost: a call costs more than an email', () => {
    const cat = scenarioCatalogue();
    expect(trace(cat, inputs(), 'card', 'in_app').netValue!.contactCost).toBe(1);
    const card = parseCatalogue({ ...cat, actions: cat.actions.map((a) => (a.id === 'card' ? { ...a, treatments: { ...a.treatments, call_centre: {} } } : a)) });
    expect(trace(card, inputs(), 'card', 'call_centre')).toMatchObject({ priority: 10 - 8, netValue: { contactCost: 8 } });
  });

  it('fatigue charges the contact itself and grows with recent contacts in the same budget; service messages are outside the marketing budget', () => {
    const cat = withArbitration({ fatigueGbpPerContact: 2, fatigueWindowDays: 30 });
    const contact = (actionId: string, family: string, daysAgo: number) => ({ decisionId: `d${daysAgo}`, actionId, family, channel: 'in_app', at: NOW - daysAgo * DAY });
    const history = { contacts: [contact('saver', 'savings', 3), contact('card', 'credit_card', 10), contact('help', 'guidance', 5), contact('saver', 'savings', 40)], declines: [] };
    const card = trace(cat, inputs({ history }), 'card');
    // Two marketing contacts in 30 days (the one 40 days ago is out of the window) and this one; the guidance contact is service.
    expect(card.netValue).toMatchObject({ budget: 'marketing', fatigueCost: 6 });
    expect(card.priority).toBeCloseTo(10 - 1 - 6, 12);
    expect(trace(cat, inputs({ history }), 'help').netValue).toMatchObject({ budget: 'service', fatigueCost: 4 });
    // With no contact before it, a contact still pays for its own: an action worth less than its contact and fatigue costs loses to doing nothing.
    const fresh = trace(cat, inputs(), 'card');
    expect(fresh.netValue).toMatchObject({ fatigueCost: 2 });
  });

  it('the bank catalogue sends no service message just because nothing else is worth sending', async () => {
    const bank = parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8'));
    const { d, customer } = rig({ catalogue: bank });
    // No marketing consent and no sign of stress: only the scam-awareness and app-feature messages pass.
    customer({ customerId: 'c1', dateOfBirth: '1985-01-01', consents: { marketing: false } }, { logins_30d: 5 });
    const r = await d.decide({ customerId: 'c1', channel: 'in_app', n: 1 });
    expect(r.chosen).toEqual([]);
    const svc = r.candidates.filter((t) => t.family === 'service_message');
    expect(svc.length).toBeGreaterThan(0);
    // Each would bring less than its contact (£1) and the fatigue it causes (£2).
    for (const t of svc) expect(t).toMatchObject({ excludedBy: { rule: 'no_action' }, netValue: { contactCost: 1, fatigueCost: 2 } });
  });

  it('prices expected harm: stress, vulnerability and risk above tolerance', () => {
    const cat = withArbitration({ harm: { costGbp: 650, stress: 0.3, stressSignal: 'stress', vulnerable: 0.2, aboveRiskTolerance: 1 } });
    const calm = trace(cat, inputs(), 'saver');
    expect(calm.netValue).toMatchObject({ harmChance: 0, harmCost: 0 });
    const stressed = trace(cat, inputs({ profile: { idle_cash: 20_000, overdraft_days_90d: 20 } }), 'saver');
    expect(stressed.netValue!.harmChance).toBeCloseTo(0.3, 12);
    expect(stressed.netValue!.harmCost).toBeCloseTo(0.1 * 0.3 * 650, 9);
    expect(stressed.excludedBy).toMatchObject({ kind: 'arbitration', rule: 'no_action' });
    // Vulnerable and stressed on a product with risk: 1 − 0.7 × 0.8.
    const both = trace(cat, inputs({ profile: { idle_cash: 20_000, overdraft_days_90d: 20 } }, { vulnerable: true, vulnerabilityFlags: ['health'] }), 'fund');
    expect(both.netValue!.harmChance).toBeCloseTo(1 - 0.7 * 0.8, 12);
    // Guidance is help, never harm.
    expect(trace(cat, inputs({ profile: { overdraft_days_90d: 20 } }), 'help').netValue!.harmChance).toBe(0);
  });

  it("an action's stressHarm replaces harm.stress for it: a switch that lowers repayments is no harm to a stretched customer", () => {
    const base = withArbitration({ harm: { costGbp: 650, stress: 0.3, stressSignal: 'stress', vulnerable: 0.2, aboveRiskTolerance: 1 } });
    const stressed = inputs({ profile: { idle_cash: 20_000, overdraft_days_90d: 20 } });
    const saver = (stressHarm?: number) => parseCatalogue({ ...base, actions: base.actions.map((a) => (a.id === 'saver' ? { ...a, ...(stressHarm === undefined ? {} : { stressHarm }), harmChance: 0.1 } : a)) });
    expect(trace(saver(), stressed, 'saver').netValue!.harmChance).toBeCloseTo(1 - 0.9 * 0.7, 12);
    expect(trace(saver(0), stressed, 'saver').netValue!.harmChance).toBeCloseTo(0.1, 12);
    expect(trace(saver(0.5), stressed, 'saver').netValue!.harmChance).toBeCloseTo(1 - 0.9 * 0.5, 12);
    // Without the stress signal the override changes nothing.
    expect(trace(saver(0.5), inputs(), 'saver').netValue!.harmChance).toBeCloseTo(0.1, 12);
    expect(() => parseCatalogue({ ...base, actions: base.actions.map((a) => (a.id === 'saver' ? { ...a, stressHarm: -0.1 } : a)) })).toThrow(/stressHarm/);
  });

  it('the bank catalogue offers a stretched borrower a rate switch, and one behind on repayments help instead', async () => {
    const bank = parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8'));
    const { d, customer } = rig({ catalogue: bank });
    const record = { dateOfBirth: '1980-01-01', holdings: ['current_account', 'mortgage'], consents: { marketing: true, personalised_offers: true } };
    const profile = { base_rate_change_120d: -0.25, days_since_first_seen: 400, logins_30d: 5, income_90d: 9000, monthly_outgoings: 2500 };
    customer({ customerId: 'stretched', ...record }, { ...profile, overdraft_days_90d: 20 });
    customer({ customerId: 'arrears', ...record }, { ...profile, overdraft_days_90d: 20, loan_repayments_missed_365d: 1 });
    const stretched = await d.decide({ customerId: 'stretched', channel: 'in_app', n: 1 });
    const refi = stretched.candidates.find((t) => t.actionId === 'refi_fixed_rate')!;
    expect(stretched.signals.financial_stress).toBe(true);
    // Past every policy with a positive net value (one contact a week: whatever else ranks first is the one sent).
    expect(['suitability', 'eligibility', 'applicability']).not.toContain(refi.excludedBy?.kind);
    expect(refi.priority).toBeGreaterThan(0);
    // Its own 3% harm chance only: the stress signal adds none to a switch.
    expect(refi.netValue!.harmChance).toBeCloseTo(0.03, 12);
    const arrears = await d.decide({ customerId: 'arrears', channel: 'in_app', n: 1 });
    expect(arrears.candidates.find((t) => t.actionId === 'refi_fixed_rate')).toMatchObject({ status: 'excluded', excludedBy: { rule: 'switch_not_in_arrears' } });
    expect(arrears.chosen.map((c) => c.actionId)).toContain('help_repayments');
  });

  it('prices the harm a short record cannot show yet (arbitration.harm.unseen) on credit and products with risk, not on cash savings or help', () => {
    const unseen = 'profile.days_since_first_seen < 60.0 ? 0.15 * (60.0 - profile.days_since_first_seen) / 60.0 : 0.0';
    const cat = withArbitration({ harm: { costGbp: 650, stress: 0.3, stressSignal: 'stress', vulnerable: 0.2, aboveRiskTolerance: 1, unseen } });
    const young = (days: number, extra: Record<string, number> = {}) => inputs({ profile: { idle_cash: 20_000, days_since_first_seen: days, ...extra } });
    // Ten days of history: 0.15 x 50/60 on the card (credit) and the fund (risk), nothing on the saver or on guidance.
    expect(trace(cat, young(10), 'card').netValue!.harmChance).toBeCloseTo(0.125, 12);
    expect(trace(cat, young(10), 'fund').netValue!.harmChance).toBeCloseTo(0.125, 12);
    expect(trace(cat, young(10), 'saver').netValue!.harmChance).toBe(0);
    expect(trace(cat, young(10), 'help').netValue!.harmChance).toBe(0);
    // The chance fades as the record grows; independent of stress, so the two combine.
    expect(trace(cat, young(60), 'card').netValue!.harmChance).toBe(0);
    expect(trace(cat, young(10, { overdraft_days_90d: 20 }), 'fund').netValue!.harmChance).toBeCloseTo(1 - 0.875 * 0.7, 12);
    // A value it cannot compute (the feature missing) or below 0 is no extra chance; above 1 is 1.
    expect(trace(cat, inputs(), 'card').netValue!.harmChance).toBe(0);
    expect(trace(withArbitration({ harm: { ...cat.arbitration.harm, unseen: '-0.5' } }), inputs(), 'card').netValue!.harmChance).toBe(0);
    expect(trace(withArbitration({ harm: { ...cat.arbitration.harm, unseen: '3.0' } }), inputs(), 'card').netValue!.harmChance).toBe(1);
    // The expected value books only the suitable share and the harm is charged: take-up x value x 0.875 less take-up x 0.125 x £650.
    const card = trace(cat, young(10), 'card');
    expect(card.netValue!.expectedValue).toBeCloseTo(card.propensity! * card.value! * 0.875, 9);
    expect(card.netValue!.harmCost).toBeCloseTo(card.propensity! * 0.125 * 650, 9);
    // A rule that does not compile names its place in the catalogue.
    expect(() => compileCatalogue(withArbitration({ harm: { ...cat.arbitration.harm, unseen: 'profile.days_since_first_seen <' } }))).toThrow(/arbitration\.harm\.unseen/);
  });

  it("an action's own harm chance (what its record cannot show) is priced, and an unsuitable take-up books no value", () => {
    const base = withArbitration({ harm: { costGbp: 650, stress: 0.3, stressSignal: 'stress', vulnerable: 0.2, aboveRiskTolerance: 1 } });
    const cat = parseCatalogue({ ...base, actions: base.actions.map((a) => (a.id === 'card' || a.id === 'fund' ? { ...a, harmChance: 0.25 } : a)) });
    const plain = trace(base, inputs(), 'card');
    const risky = trace(cat, inputs(), 'card');
    expect(plain.netValue).toMatchObject({ harmChance: 0, harmCost: 0 });
    expect(risky.netValue!.harmChance).toBeCloseTo(0.25, 12);
    // Take-up x value x the suitable share, less take-up x chance x the cost of harm.
    expect(risky.netValue!.expectedValue).toBeCloseTo(plain.netValue!.expectedValue * 0.75, 9);
    expect(risky.netValue!.harmCost).toBeCloseTo(0.1 * 0.25 * 650, 9);
    expect(risky.priority!).toBeLessThan(plain.priority!);
    // Combined with the other sources as independent chances: 1 − 0.75 × 0.7 × 0.8 for a stressed, vulnerable customer.
    expect(trace(cat, inputs({ profile: { idle_cash: 20_000, overdraft_days_90d: 20 } }, { vulnerable: true, vulnerabilityFlags: ['health'] }), 'fund').netValue!.harmChance).toBeCloseTo(1 - 0.75 * 0.7 * 0.8, 12);
    expect(() => parseCatalogue({ ...base, actions: base.actions.map((a) => (a.id === 'card' ? { ...a, harmChance: 1.5 } : a)) })).toThrow(/harmChance/);
  });

  it('values retention at CLV x churn risk x the churn reduction, from the served scores or the fallback', () => {
    const base = scenarioCatalogue();
    const keep = { id: 'keep', name: 'Loyalty bonus', family: 'retention', value: { model: 'retention', amountGbp: 1000, churnReduction: 0.5 }, prior: 0.2, message: { headline: 'Thanks', body: 'A loyalty bonus.' }, treatments: { in_app: {} } };
    const cat = parseCatalogue({ ...base, arbitration: { clv: 'scores.clv >= 0.0 ? scores.clv : -1.0', churnRisk: 'scores.churn_risk >= 0.0 ? scores.churn_risk : 0.05' }, actions: [...base.actions, keep] });
    const served = trace(cat, inputs({ scores: { clv: 3000, churn_risk: 0.4 } }), 'keep');
    expect(served).toMatchObject({ value: 3000 * 0.4 * 0.5, netValue: { valueSource: 'retention' } });
    expect(served.priority).toBeCloseTo(0.2 * 600 - 1, 9);
    // No scores served: the action's amount stands in for CLV and the fallback churn risk applies.
    expect(trace(cat, inputs(), 'keep').value).toBeCloseTo(1000 * 0.05 * 0.5, 12);
    // A customer about to leave is worth more effort than one who is not.
    expect(trace(cat, inputs({ scores: { churn_risk: 0.9 } }), 'keep').priority!).toBeGreaterThan(trace(cat, inputs({ scores: { churn_risk: 0.01 } }), 'keep').priority!);
  });

  it('values a retention take-up by the chance the taker was leaving when the catalogue serves it, not x churn risk again', () => {
    const base = scenarioCatalogue();
    const keep = { id: 'keep', name: 'Loyalty bonus', family: 'retention', value: { model: 'retention', amountGbp: 1000, churnReduction: 0.5 }, prior: 0.2, message: { headline: 'Thanks', body: 'A loyalty bonus.' }, treatments: { in_app: {} } };
    const arbitration = { clv: 'scores.clv >= 0.0 ? scores.clv : -1.0', churnRisk: 'scores.churn_risk >= 0.0 ? scores.churn_risk : 0.05', leavingGivenTakeUp: 'scores.leaving >= 0.0 ? scores.leaving : -1.0' };
    const cat = parseCatalogue({ ...base, arbitration, actions: [...base.actions, keep] });
    const served = trace(cat, inputs({ scores: { clv: 3000, churn_risk: 0.1, leaving: 0.8 } }), 'keep');
    expect(served).toMatchObject({ value: 3000 * 0.8 * 0.5, netValue: { valueSource: 'retention' } });
    expect(served.priority).toBeCloseTo(0.2 * 1200 - 1, 9);
    // Above 1 is capped; without the score (or a negative one) the churn risk values it as before.
    expect(trace(cat, inputs({ scores: { clv: 3000, churn_risk: 0.1, leaving: 1.7 } }), 'keep').value).toBeCloseTo(3000 * 0.5, 9);
    expect(trace(cat, inputs({ scores: { clv: 3000, churn_risk: 0.1 } }), 'keep').value).toBeCloseTo(3000 * 0.1 * 0.5, 9);
    expect(() => parseCatalogue({ ...base, arbitration: { ...arbitration, leavingGivenTakeUp: 'scores.leaving +' }, actions: [...base.actions, keep] }) && compileCatalogue(parseCatalogue({ ...base, arbitration: { ...arbitration, leavingGivenTakeUp: 'scores.leaving +' }, actions: [...base.actions, keep] }))).toThrow(/arbitration.leavingGivenTakeUp/);
  });

  it('levers still apply, to the expected value', () => {
    const cat = compileCatalogue(scenarioCatalogue());
    const ev = evaluate(cat, inputs(), { now: NOW, channel: 'in_app', levers: { families: { credit_card: 2 }, actions: {} }, scorer: priorOnly });
    expect(ev.traces.find((t) => t.actionId === 'card')).toMatchObject({ lever: 2, priority: 0.1 * 100 * 2 - 1, netValue: { expectedValue: 20 } });
  });

  it('missing savings are zero savings when the catalogue says so, not an unknown that fails closed', () => {
    const base = scenarioCatalogue();
    const rule = { kind: 'applicability' as const, when: 'profile.current_balance_avg_30d + profile.savings_balance_avg_90d >= 5000.0', reason: 'under £5,000 in cash' };
    const actions = base.actions.map((a) => (a.id === 'saver' ? { ...a, policies: [rule] } : a));
    const i = inputs({ profile: { current_balance_avg_30d: 8000, savings_balance_avg_90d: null } });
    expect(trace(parseCatalogue({ ...base, actions }), i, 'saver').excludedBy).toMatchObject({ kind: 'applicability' });
    expect(trace(parseCatalogue({ ...base, actions, featureDefaults: { savings_balance_avg_90d: 0 } }), i, 'saver').status).toBe('ranked');
  });
});

describe('explanations of a model without drivers', () => {
  it('a constant model (all-zero TreeSHAP) is explained as its base rate, not a list of zeros', () => {
    const cat = compileCatalogue(scenarioCatalogue());
    const constant: PropensityScorer = {
      score: (a) => (a.id === 'card' ? { propensity: 0.3, modelVersion: 'const@1' } : undefined),
      explain: () => [
        { feature: 'idle_cash', value: 20_000, contribution: 0 },
        { feature: 'logins_30d', value: 3, contribution: 0 },
      ],
      versionFor: (a) => (a.id === 'card' ? 'const@1' : undefined),
    };
    const i = inputs();
    const ev = evaluate(cat, i, { now: NOW, channel: 'in_app', levers: { families: {}, actions: {} }, scorer: constant });
    const sel = select(cat, ev, i, { now: NOW, channel: 'in_app', n: 1, full: new Set() });
    expect(ev.traces[sel.chosen[0]!]!.actionId).toBe('card');
    const w = explain(cat, ev, i, sel.chosen[0], constant).winner!;
    expect(w.topContributions).toEqual([]);
    expect(w.reasonCodes.find((c) => c.code === 'MODEL_NO_DRIVERS')?.text).toBe("model const@1 gives every customer the same score: it comes from the model's base rate, not from any of this customer's features");
    expect(w.customerSentence).toBe("We're suggesting Rewards card: A rewards card.");
  });
});
