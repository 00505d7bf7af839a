import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileCatalogue, customerView, evaluate, explain, parseCatalogueYaml, priorOnly, select, type DecisionInputs } from '../../src/decisioning/index.js';
import { Customer } from '../../src/core/customer.js';
import { deniedWordsIn } from '../../src/decisioning/sentences.js';

const cat = compileCatalogue(parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8')));
const NOW = Date.parse('2026-03-02T10:00:00Z');

function decide(riskTolerance: string, age: number, sophistication: string) {
  const record = Customer.parse({ customerId: 'ts1', dateOfBirth: `${2026 - age - 1}-01-01`, riskTolerance, financialSophistication: sophistication, holdings: ['current_account'], consents: { marketing: true, personalised_offers: true } });
  const customer = customerView(record, NOW);
  // £22,000 idle in the current account and no savings account: savings are missing, i.e. zero.
  const inputs: DecisionInputs = { customer, profile: { idle_cash: 20_000, current_balance_avg_30d: 22_000, savings_balance_avg_90d: null, income_90d: 9000, monthly_outgoings: 2000, overdraft_days_90d: 0 }, profileVersion: 't', scores: {}, consents: record.consents as Record<string, boolean>, history: { contacts: [], declines: [] }, context: {}, sessionId: null };
  const ev = evaluate(cat, inputs, { now: NOW, channel: 'email', levers: { families: {}, actions: {} }, scorer: priorOnly });
  return { ev, inputs };
}

describe('FCA targeted support', () => {
  it('has a suitable group suggestion for every risk tolerance and age band (>= £10,000 idle cash, no investments, no savings account)', () => {
    for (const risk of ['none', 'low', 'medium', 'high'])
      for (const age of [30, 55, 67])
        for (const soph of ['experienced', 'novice']) {
          const { ev, inputs } = decide(risk, age, soph);
          const ts = ev.traces.filter((t) => t.actionId.startsWith('ts_') && t.status === 'ranked').map((t) => t.actionId);
          expect(ts.length, `risk ${risk}, age ${age}, ${soph}`).toBeGreaterThan(0);
          // The suggestion fits the group: no capital at risk for a low or no risk tolerance; only cautious at 60+.
          if (risk === 'none' || risk === 'low') expect(ts).toEqual(['ts_cash_isa']);
          if (age >= 60 && (risk === 'medium' || risk === 'high')) expect(ts).toEqual(['ts_invest_cautious']);
          const i = ev.traces.findIndex((t) => t.actionId === ts[0]);
          const w = explain(cat, { ...ev, ranked: [i, ...ev.ranked.filter((k) => k !== i)] }, inputs, i, priorOnly).winner!;
          expect(w.targetedSupport!.group).toBe(`risk=${risk}/age_band=${age < 50 ? 'under_50' : age < 60 ? '50_59' : '60_plus'}`);
          expect(deniedWordsIn(w.customerSentence)).toEqual([]);
          // Cash is not described as an investment that can fall.
          if (ts[0] === 'ts_cash_isa') expect(w.targetedSupport!.wording).not.toMatch(/fall as well as rise/);
          else expect(w.targetedSupport!.wording).toMatch(/fall as well as rise/);
        }
  });

  it('is worth a contact: a positive expected net value, so it can beat "no action"', () => {
    const { ev, inputs } = decide('low', 67, 'novice');
    expect(ev.traces.find((t) => t.actionId === 'ts_cash_isa')!.priority).toBeGreaterThan(0);
    // With the other product offers out of the way (say, already contacted about them), it is chosen.
    const onlyTs = { ...ev, ranked: ev.ranked.filter((k) => ev.traces[k]!.actionId.startsWith('ts_')) };
    const sel = select(cat, onlyTs, inputs, { now: NOW, channel: 'email', n: 1, full: new Set() });
    expect(sel.chosen.map((k) => ev.traces[k]!.actionId)).toEqual(['ts_cash_isa']);
  });
});
