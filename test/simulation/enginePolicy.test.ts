import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseCatalogueYaml } from '../../src/decisioning/index.js';
import { enginePolicy, measureOnTwin, trainTwinScorer, twinProfile } from '../../src/simulation/enginePolicy.js';
import { randomPolicy } from '../../src/simulation/policies.js';
import { Population } from '../../src/simulation/population.js';

const catalogue = parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8'));
const scenario = { customers: 300, name: 'test' };

describe('the engine in the twin closed loop', () => {
  it('makes real decisions with explanations, never without consent, within the weekly cap', async () => {
    const policy = enginePolicy(catalogue);
    const report = await measureOnTwin(policy, scenario, { days: 21, seed: 3 });
    expect(report.offersShown).toBeGreaterThan(100);
    expect(report.consentBreaches).toBe(0);
    // At most one contact a week per customer (the bank catalogue's cap): 21 days → ≤ 3 each.
    expect(report.contactsPerCustomer).toBeLessThanOrEqual(3);
    const chosen = await firstChosen(policy);
    expect(chosen.explanation.winner?.customerSentence).toMatch(/^We're suggesting /);
    expect(chosen.explanation.excluded.length).toBeGreaterThan(0);
  });

  it('learns propensities from an exploration run and beats random on the oracle yardstick', async () => {
    const trained = await trainTwinScorer(scenario, { days: 30, seed: 1003, rounds: 20 });
    expect(trained.samples).toBeGreaterThan(500);
    expect(Object.keys(trained.models).length).toBeGreaterThanOrEqual(5);
    const engine = await measureOnTwin(enginePolicy(catalogue, trained.scorer), scenario, { days: 30, seed: 3 });
    const random = await measureOnTwin(randomPolicy, scenario, { days: 30, seed: 3 });
    expect(engine.acceptedValueGBP).toBeGreaterThan(random.acceptedValueGBP);
    expect(engine.consentBreaches).toBe(0);
  });

  it('maps the engine view onto bank-pack feature names', () => {
    const p = twinProfile(
      {
        customerId: 'x',
        customer: { customerId: 'x', country: 'GB', timeZone: 'Europe/London', vulnerabilityFlags: [], residentInCountry: true, holdings: [], consents: {}, attributes: {} },
        holdings: ['savings'],
        consents: { marketing: true },
        balances: { current: 12_000, savings: 5000, creditCard: 0, loan: 0, mortgage: 0, invested: 0 },
        recent: { cardSpend: 1000, spendAbroad: 0, logins: 4, transfersToCompetitors: 0, missedPayments: 0, complaints: 0 },
        lastSalary: 2500,
        daysSinceSalary: 10,
        daysSinceContact: Infinity,
        baseRateChange: 0,
      },
      'email',
    );
    expect(p).toMatchObject({ idle_cash: 16_000, current_balance_avg_30d: 12_000, savings_balance_avg_90d: 5000, income_90d: 7500, holds_savings: 1, holds_isa: 0, channel_code: 1, days_since_contact: 999 });
  });
});

async function firstChosen(policy: ReturnType<typeof enginePolicy>) {
  // Decision ids are `<customer>-<day>-<channel>`: find one that chose something.
  for (let i = 0; i < 300; i++) {
    for (const ch of ['push', 'email', 'in_app', 'chatbot', 'call_centre', 'branch']) {
      const d = await policy.decisioning.decision(`${Population.id(i)}-0-${ch}`).catch(() => undefined);
      if (d && d.chosen.length > 0) return d;
    }
  }
  throw new Error('no decision chose an action on day 0');
}
