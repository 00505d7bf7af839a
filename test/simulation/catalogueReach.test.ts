import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseCatalogueYaml } from '../../src/decisioning/index.js';
import { CatalogueReach, drawExplorationFamily, ReachCounts } from '../../src/simulation/catalogueReach.js';
import { trainTwinScorer } from '../../src/simulation/enginePolicy.js';
import type { CustomerView } from '../../src/simulation/closedLoop.js';
import { ACTION_FAMILIES, FAMILY, type ActionFamily } from '../../src/simulation/offers.js';
import { mulberry32 } from '../../src/core/random.js';

const catalogue = parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8'));

/** A 45-year-old with a medium risk tolerance, no holdings, consenting to offers; `idle` in the current account. */
function customer(idle: number, o: { riskTolerance?: string; holdings?: string[]; marketing?: boolean } = {}): CustomerView {
  return {
    customerId: 'c0000007',
    customer: { customerId: 'c0000007', country: 'GB', timeZone: 'Europe/London', vulnerabilityFlags: [], residentInCountry: true, holdings: [], consents: {}, attributes: {}, dateOfBirth: '1980-03-01', riskTolerance: o.riskTolerance ?? 'medium', financialSophistication: 'intermediate', preferredChannel: 'email' } as CustomerView['customer'],
    holdings: o.holdings ?? [],
    consents: { marketing: o.marketing ?? true, personalised_offers: true },
    balances: { current: idle, savings: 0, creditCard: 0, loan: 0, mortgage: 0, invested: 0 },
    recent: { cardSpend: 800, spendAbroad: 0, logins: 6, transfersToCompetitors: 0, missedPayments: 0, complaints: 0, latePayments: 0, hardshipContacts: 0, overdrawnDays: 0 },
    daysSince: { missedPayment: Infinity, latePayment: Infinity, hardshipContact: Infinity },
    lastSalary: 3000,
    daysSinceSalary: 10,
    daysSinceContact: Infinity,
    baseRateChange: 0,
  };
}

describe('exploration where the engine catalogue could act', () => {
  const reach = new CatalogueReach(catalogue);

  it('asks the catalogue\'s own rules: investments for a cash buffer and a medium risk tolerance only, nothing but guidance and service without marketing consent', () => {
    expect(reach.families(customer(25_000), 'email', '2025-02-03')).toContain('investment');
    // Under a £3,000 cash buffer, or a risk tolerance of none: the catalogue's investment rules exclude them.
    expect(reach.families(customer(2500), 'email', '2025-02-03')).not.toContain('investment');
    expect(reach.families(customer(25_000, { riskTolerance: 'none' }), 'email', '2025-02-03')).not.toContain('investment');
    expect(reach.families(customer(25_000, { holdings: ['credit_card'] }), 'email', '2025-02-03')).not.toContain('credit_card');
    for (const f of reach.families(customer(25_000, { marketing: false }), 'email', '2025-02-03')) expect(['guidance', 'service_message']).toContain(f);
  });

  it('draws each family with the chance it records: targeted share among the reachable families by weight, the rest uniform', () => {
    const all: ActionFamily[] = ['credit_card', 'savings', 'investment', 'guidance'];
    const reachable: ActionFamily[] = ['investment', 'guidance', 'pension'];
    const weight = (f: ActionFamily) => (f === 'investment' ? 3 : 1);
    const rng = mulberry32(11);
    const n = 40_000;
    const seen = new Map<ActionFamily, number>();
    const chances = new Map<ActionFamily, number>();
    for (let i = 0; i < n; i++) {
      const d = drawExplorationFamily(all, reachable, 0.6, () => rng.next(), weight);
      seen.set(d.family, (seen.get(d.family) ?? 0) + 1);
      chances.set(d.family, d.chance);
    }
    // Pension is not a family the run may try here (say, no consent): never drawn.
    expect(seen.has('pension')).toBe(false);
    // 0.4 / 4 uniform, plus 0.6 × 3/4 for investments and 0.6 × 1/4 for guidance.
    const expected: Record<string, number> = { credit_card: 0.1, savings: 0.1, investment: 0.55, guidance: 0.25 };
    for (const f of all) {
      expect(chances.get(f)).toBeCloseTo(expected[f]!, 12);
      const p = expected[f]!;
      // Within 4 standard errors of the binomial share.
      expect(Math.abs(seen.get(f)! / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    }
    // Nothing reachable: the uniform draw, whatever the share.
    expect(drawExplorationFamily(all, [], 0.9, () => 0.99).chance).toBe(0.25);
  });

  it('weights a family by the inverse of how often it was reachable so far', () => {
    const counts = new ReachCounts();
    counts.see(['guidance', 'savings']);
    const w = counts.see(['guidance', 'investment']);
    expect([w('guidance'), w('investment'), w('savings')]).toEqual([0.5, 1, 1]);
  });

  it('spends the targeted share of a seeded exploration run within the families the catalogue allows, and replays the uniform run at share 0', async () => {
    const scenario = { customers: 300, name: 'test' };
    const run = (exploration?: { targeted: number }) => trainTwinScorer(scenario, { days: 30, seed: 1005, rounds: 5, ...(exploration && { exploration: { catalogue, ...exploration } }) });
    const [uniform, counted, targeted] = [await run(), await run({ targeted: 0 }), await run({ targeted: 0.8 })];
    // Share 0 draws as the run without a catalogue: the same offers, now labelled with their reach.
    expect(counted.exploration.map((s) => [s.family, s.day, s.group, s.label])).toEqual(uniform.exploration.map((s) => [s.family, s.day, s.group, s.label]));
    expect(uniform.exploration.every((s) => s.explored === undefined)).toBe(true);
    const reachableShare = (t: typeof targeted) => t.exploration.filter((s) => s.explored!.reachable).length / t.exploration.length;
    // Most offers land where the catalogue could act: the targeted share, on the customers with any family reachable.
    expect(reachableShare(targeted)).toBeGreaterThan(reachableShare(counted) + 0.2);
    // Investments went to customers the catalogue would offer them to more often than at random.
    const investmentReach = (t: typeof targeted) => t.exploration.filter((s) => s.family === FAMILY.investment && s.explored!.reachable).length;
    expect(investmentReach(targeted)).toBeGreaterThan(investmentReach(counted));
    for (const s of targeted.exploration) {
      expect(s.explored!.chance).toBeGreaterThan(0);
      expect(s.explored!.chance).toBeLessThanOrEqual(1);
    }
    // Every family is still tried on customers the catalogue would not target (the calibration needs them).
    const outside = new Set(targeted.exploration.filter((s) => !s.explored!.reachable).map((s) => ACTION_FAMILIES[s.family]));
    expect(outside.size).toBeGreaterThanOrEqual(7);
  });
});
