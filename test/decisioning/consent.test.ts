import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { ConsentPurpose } from '../../src/core/events.js';
import { parseCatalogue, parseCatalogueYaml, type ActionInput } from '../../src/decisioning/index.js';
import { rig } from './rig.js';

// The built-in bank catalogue, plus one action for each purpose it has no action for: a
// partner's product (shares data with a third party) and a customer research survey.
const bank = parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8'));
const extra: ActionInput[] = [
  {
    id: 'partner_home_insurance',
    name: 'Home insurance from our partner',
    family: 'guidance',
    consents: ['third_party_sharing'],
    value: { amountGbp: 60 },
    prior: 0.2,
    message: { headline: 'Home insurance', body: 'Cover for your home from our insurance partner.' },
    treatments: { in_app: {}, email: {} },
  },
  {
    id: 'research_survey',
    name: 'Tell us what you think',
    family: 'service_message',
    purpose: 'research',
    value: { amountGbp: 30 },
    prior: 0.3,
    message: { headline: 'Two minutes of your time?', body: 'Help us shape our new app features.' },
    treatments: { in_app: {}, email: {} },
  },
];
const catalogue = parseCatalogue({ ...bank, actions: [...bank.actions, ...extra] });

/** Every purpose an action needs, worked out here without the engine's code. */
function needs(a: (typeof catalogue.actions)[number]): string[] {
  const out = new Set<string>(a.consents);
  if (a.purpose !== 'service') out.add(a.purpose);
  if (a.purpose === 'marketing') out.add('personalised_offers');
  return [...out];
}

const PURPOSES = ConsentPurpose.options;
const consentValue = fc.constantFrom(true, false, undefined);
const arbConsents = fc.record(Object.fromEntries(PURPOSES.map((p) => [p, consentValue])) as Record<(typeof PURPOSES)[number], fc.Arbitrary<boolean | undefined>>);
const arbProfile = fc.record({
  idle_cash: fc.double({ min: 0, max: 60_000, noNaN: true }),
  current_balance_avg_30d: fc.double({ min: 0, max: 30_000, noNaN: true }),
  savings_balance_avg_90d: fc.oneof(fc.constant(null), fc.double({ min: 0, max: 60_000, noNaN: true })),
  income_90d: fc.double({ min: 0, max: 30_000, noNaN: true }),
  monthly_outgoings: fc.double({ min: 0, max: 5_000, noNaN: true }),
  logins_30d: fc.integer({ min: 0, max: 40 }),
  transfers_out_other_banks_90d: fc.double({ min: 0, max: 5_000, noNaN: true }),
});

describe('consent', () => {
  it('no action needing a purpose is ever chosen for a customer who withheld it, for every purpose (seeded property)', async () => {
    const chosenNeeding = new Map<string, number>(PURPOSES.map((p) => [p, 0]));
    await fc.assert(
      fc.asyncProperty(arbConsents, arbProfile, fc.constantFrom('in_app', 'email') as fc.Arbitrary<'in_app'>, fc.integer({ min: 1, max: 4 }), async (c, profile, channel, n) => {
        const { d, customer } = rig({ catalogue, start: '2026-03-02T12:00:00Z' });
        const consents: Record<string, boolean> = {};
        for (const p of PURPOSES) if (c[p] !== undefined) consents[p] = c[p];
        customer({ customerId: 'p1', dateOfBirth: '1970-05-05', riskTolerance: 'medium', holdings: ['current_account', 'mortgage'], consents }, profile);
        const r = await d.decide({ customerId: 'p1', channel, n });
        for (const chosen of r.chosen) {
          const action = catalogue.actions.find((a) => a.id === chosen.actionId)!;
          for (const p of needs(action)) {
            expect(consents[p], `${action.id} needs ${p}`).toBe(true);
            chosenNeeding.set(p, chosenNeeding.get(p)! + 1);
          }
        }
        // Objecting to profiling: no model, priors only.
        if (consents.profiling === false) expect(r.candidates.every((t) => t.propensitySource !== 'model')).toBe(true);
        // Every action that needs a purpose the customer withheld is excluded by consent, naming it.
        for (const t of r.candidates) {
          const action = catalogue.actions.find((a) => a.id === t.actionId)!;
          const missing = needs(action).filter((p) => consents[p] !== true);
          if (missing.length > 0 && t.excludedBy?.kind !== 'validity' && t.excludedBy?.kind !== 'channel') {
            expect(t.excludedBy?.kind).toBe('consent');
            expect(missing.map((p) => `consent_${p}`)).toContain(t.excludedBy!.rule);
          }
        }
      }),
      { numRuns: 200, seed: 20261204 },
    );
    // The property is not vacuous: actions needing each purpose but profiling were chosen when it was given.
    for (const p of ['marketing', 'personalised_offers', 'third_party_sharing', 'research']) expect(chosenNeeding.get(p), p).toBeGreaterThan(0);
  });

  it('a marketing offer needs personalised_offers too; the loyalty rate boost is marketing', async () => {
    const { d, customer } = rig({ catalogue: bank });
    customer({ customerId: 'm1', consents: { marketing: true, personalised_offers: false } }, { idle_cash: 20_000, current_balance_avg_30d: 8000, logins_30d: 5 });
    const r = await d.decide({ customerId: 'm1', channel: 'email', n: 3 });
    expect(r.chosen.every((c) => catalogue.actions.find((a) => a.id === c.actionId)!.purpose === 'service')).toBe(true);
    expect(r.candidates.find((t) => t.actionId === 'sav_fixed_bond')!.excludedBy).toEqual({ kind: 'consent', rule: 'consent_personalised_offers', reason: 'the customer has not given personalised_offers consent (withdrawn)' });
    expect(bank.actions.find((a) => a.id === 'ret_loyalty_rate')!.purpose).toBe('marketing');
    expect(bank.actions.filter((a) => a.family === 'retention' && a.purpose === 'service').map((a) => a.id)).toEqual(['ret_service_call']);
  });
});
