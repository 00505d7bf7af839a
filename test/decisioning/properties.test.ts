import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { Environment } from '@marcbachmann/cel-js';
import { parseCatalogueYaml, customerView, type PolicyRule } from '../../src/decisioning/index.js';
import { Customer } from '../../src/core/customer.js';
import { rig } from './rig.js';

// The built-in bank catalogue: the property holds for the rules a bank would actually run.
const catalogue = parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8'));
const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });

const FEATURES = ['idle_cash', 'current_balance_avg_30d', 'savings_balance_avg_90d', 'income_90d', 'monthly_outgoings', 'overdraft_days_90d', 'loan_repayments_missed_365d', 'hardship_contacts_365d', 'card_spend_gambling_90d', 'card_spend_fx_90d', 'transfers_out_other_banks_90d', 'complaints_365d', 'logins_30d'];
const arbCustomer = fc.record({
  birthYear: fc.integer({ min: 1930, max: 2015 }),
  riskTolerance: fc.constantFrom('none', 'low', 'medium', 'high', undefined),
  financialSophistication: fc.constantFrom('novice', 'intermediate', 'experienced', undefined),
  vulnerabilityFlags: fc.subarray(['health', 'life_event', 'low_resilience', 'low_capability', 'bereavement', 'financial_difficulty'] as const, { maxLength: 2 }),
  holdings: fc.subarray(['current_account', 'savings', 'credit_card', 'personal_loan', 'mortgage', 'isa', 'pension', 'investment']),
  residentInCountry: fc.boolean(),
  marketing: fc.constantFrom(true, false, undefined),
  profiling: fc.constantFrom(true, false, undefined),
});
const arbProfile = fc.dictionary(fc.constantFrom(...FEATURES), fc.oneof(fc.constant(null), fc.double({ min: 0, max: 60_000, noNaN: true })));
const channel = fc.constantFrom('push', 'email', 'in_app', 'chatbot', 'call_centre', 'branch') as fc.Arbitrary<'push'>;

describe('decisioning properties', () => {
  it('never chooses an action without consent for its purpose or against a suitability rule', async () => {
    await fc.assert(
      fc.asyncProperty(arbCustomer, arbProfile, channel, fc.integer({ min: 1, max: 4 }), async (c, profile, ch, n) => {
        const { d, customer, clock } = rig({ catalogue, start: '2026-03-02T12:00:00Z' });
        const consents: Record<string, boolean> = {};
        if (c.marketing !== undefined) consents.marketing = c.marketing;
        if (c.profiling !== undefined) consents.profiling = c.profiling;
        customer({ customerId: 'p1', dateOfBirth: `${c.birthYear}-05-05`, riskTolerance: c.riskTolerance, financialSophistication: c.financialSophistication, vulnerabilityFlags: [...c.vulnerabilityFlags], holdings: [...c.holdings], residentInCountry: c.residentInCountry, consents }, profile);
        const r = await d.decide({ customerId: 'p1', channel: ch, n });
        const record = Customer.parse({ customerId: 'p1', dateOfBirth: `${c.birthYear}-05-05`, riskTolerance: c.riskTolerance, financialSophistication: c.financialSophistication, vulnerabilityFlags: [...c.vulnerabilityFlags], holdings: [...c.holdings], residentInCountry: c.residentInCountry, consents });
        for (const chosen of r.chosen) {
          const action = catalogue.actions.find((a) => a.id === chosen.actionId)!;
          // Consent, checked independently of the engine's code path.
          if (action.purpose !== 'service') expect(consents[action.purpose]).toBe(true);
          // Every suitability rule that covers the action, evaluated afresh with cel-js.
          const rules: PolicyRule[] = [
            ...action.policies.map((p) => (typeof p === 'string' ? catalogue.policies[p]! : p)),
            ...Object.values(catalogue.policies).filter((p) => p.appliesTo?.families?.includes(action.family)),
          ].filter((p) => p.kind === 'suitability' || p.kind === 'eligibility');
          const fullProfile = Object.fromEntries(FEATURES.map((f) => [f, profile[f] === undefined || profile[f] === null ? Number.NaN : profile[f]]));
          // No models served: every score a rule reads is NaN, as the engine fills it.
          const base = { customer: customerView(record, clock.now()), profile: fullProfile, scores: { churn_risk: Number.NaN, clv: Number.NaN }, context: { trigger: '' } };
          const signals = Object.fromEntries(Object.entries(catalogue.signals).map(([k, e]) => [k, env.evaluate(e, base) === true]));
          expect(signals).toEqual(r.signals);
          const vars = {
            ...base,
            signals,
            action: { id: action.id, family: action.family, productRisk: action.productRisk, credit: action.family === 'credit_card' || action.family === 'personal_loan', targetedSupport: action.targetedSupport, value: action.value.amountGbp, purpose: action.purpose },
          };
          for (const rule of rules) expect(env.evaluate(rule.when, vars), `${action.id}: ${rule.when}`).toBe(true);
          // Hard lines, stated without CEL: no credit to the financially stressed, nothing but service under 18.
          if (action.family === 'credit_card' || action.family === 'personal_loan') expect(signals.financial_stress).toBe(false);
          if (c.birthYear >= 2009) expect(action.purpose).toBe('service');
        }
        // Objecting to profiling means every propensity is a prior.
        if (c.profiling === false) expect(r.candidates.every((t) => t.propensitySource !== 'model')).toBe(true);
      }),
      { numRuns: 150, seed: 20260302 },
    );
  });

  it('replay of any decision gives the same result', async () => {
    await fc.assert(
      fc.asyncProperty(arbCustomer, arbProfile, channel, async (c, profile, ch) => {
        const { d, customer } = rig({ catalogue });
        customer({ customerId: 'p1', dateOfBirth: `${c.birthYear}-05-05`, riskTolerance: c.riskTolerance, holdings: [...c.holdings], vulnerabilityFlags: [...c.vulnerabilityFlags], consents: c.marketing === undefined ? {} : { marketing: c.marketing } }, profile);
        const r = await d.decide({ customerId: 'p1', channel: ch, n: 2 });
        const replay = await d.replay(r.decisionId);
        expect(replay.differences).toEqual([]);
        expect(replay.identical).toBe(true);
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});
