import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileCatalogue, customerView, evaluate, parseCatalogueYaml, priorOnly, type DecisionInputs } from '../../src/decisioning/index.js';
import { Customer } from '../../src/core/customer.js';

const cat = compileCatalogue(parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8')));
const NOW = Date.parse('2026-03-02T10:00:00Z');

/** A customer with savings, no sign of money leaving and a churn risk under the `likely_to_leave` line (0.1), worth keeping (CLV £3,000). */
function loyalty(context: Record<string, string>) {
  const record = Customer.parse({ customerId: 'da1', dateOfBirth: '1980-01-01', riskTolerance: 'medium', holdings: ['current_account', 'savings_account'], consents: { marketing: true, personalised_offers: true } });
  const inputs: DecisionInputs = { customer: customerView(record, NOW), profile: { savings_balance_avg_90d: 8000, current_balance_avg_30d: 3000, income_90d: 9000, monthly_outgoings: 2000, logins_trend_30d: 0.3 }, profileVersion: 't', scores: { churn_risk: 0.08, clv: 3000 }, consents: record.consents as Record<string, boolean>, history: { contacts: [], declines: [] }, context, sessionId: null };
  const ev = evaluate(cat, inputs, { now: NOW, channel: 'email', levers: { families: {}, actions: {} }, scorer: priorOnly });
  return ev.traces.find((t) => t.actionId === 'ret_loyalty_rate')!;
}

describe('the declining-activity trigger', () => {
  it('makes the loyalty offer applicable to a customer whose logins halved; without the trigger it waits for a sign of leaving', () => {
    // Net value decides the rest: CLV × churn risk × the offer's churn reduction beats the contact's costs here.
    const fired = loyalty({ trigger: 'declining_activity_retention' });
    expect(fired.status).toBe('ranked');
    const asked = loyalty({});
    expect(asked.status).not.toBe('ranked');
    expect(JSON.stringify(asked)).toMatch(/shows no sign of leaving/);
  });
});
