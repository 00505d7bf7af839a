import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseCatalogue, parseCatalogueYaml, type DecisionRecord } from '../../src/decisioning/index.js';
import { citable, customerLabel, deniedWordsIn } from '../../src/decisioning/sentences.js';
import { enginePolicy, measureOnTwin, trainTwinScorer, TWIN_MODEL_FEATURES } from '../../src/simulation/enginePolicy.js';
import { Population } from '../../src/simulation/population.js';

const bank = parseCatalogueYaml(readFileSync(new URL('../../catalogue/default.yaml', import.meta.url), 'utf8'));
const scenario = { customers: 250, name: 'sentences' };
const DAYS = 21;
const CHANNELS = ['push', 'email', 'in_app', 'chatbot', 'call_centre', 'branch', 'sms'];

/** Every decision of a twin run that chose something (decision ids are `<customer>-<day>-<channel>`). */
async function chosenDecisions(policy: ReturnType<typeof enginePolicy>): Promise<DecisionRecord[]> {
  const out: DecisionRecord[] = [];
  for (let i = 0; i < scenario.customers; i++)
    for (let day = 0; day < DAYS; day++)
      for (const ch of CHANNELS) {
        const d = await policy.decisioning.decision(`${Population.id(i)}-${day}-${ch}`).catch(() => undefined);
        if (d?.explanation.winner) out.push(d);
      }
  return out;
}

/** The customer-facing text of a decision: the sentence and the targeted-support wording. */
const customerText = (d: DecisionRecord) => [d.explanation.winner!.customerSentence, d.explanation.winner!.targetedSupport?.wording ?? ''].join(' ');

/** The features a sentence cites: those whose `your <label>` it contains, or whose raw name (spaced) it contains. */
function cited(d: DecisionRecord, labels: Record<string, string>): string[] {
  const s = d.explanation.winner!.customerSentence.toLowerCase();
  return d.explanation.winner!.topContributions.filter((c) => s.includes(`your ${(labels[c.feature] ?? c.feature.replace(/_/g, ' ')).toLowerCase()}`)).map((c) => c.feature);
}

describe('customer sentences (lint over every decision of a twin run)', () => {
  it('never cite a protected attribute, a vulnerability or an internal code; every cited feature has a human label', async () => {
    const trained = await trainTwinScorer(scenario, { days: 30, seed: 1003, rounds: 15 });
    // The bank catalogue as shipped, and the same without its rule reasons: then every
    // sentence is built from the model's TreeSHAP drivers, the path that cited codes.
    const bare = parseCatalogue({ ...bank, policies: Object.fromEntries(Object.entries(bank.policies).map(([k, p]) => [k, { ...p, because: undefined }])), actions: bank.actions.map((a) => ({ ...a, policies: a.policies.map((p) => (typeof p === 'string' ? p : { ...p, because: undefined })) })) });
    let fromDrivers = 0;
    let total = 0;
    for (const catalogue of [bank, bare]) {
      const policy = enginePolicy(catalogue, trained.scorer);
      await measureOnTwin(policy, scenario, { days: DAYS, seed: 5 });
      const decisions = await chosenDecisions(policy);
      expect(decisions.length).toBeGreaterThan(100);
      for (const d of decisions) {
        total++;
        const text = customerText(d);
        expect(deniedWordsIn(text), `${d.decisionId}: ${text}`).toEqual([]);
        for (const f of cited(d, catalogue.featureLabels)) {
          fromDrivers++;
          expect(catalogue.featureLabels[f], `${d.decisionId} cites ${f} without a human label`).toBeDefined();
          expect(citable(f), `${d.decisionId} cites ${f}`).toBe(true);
        }
      }
    }
    // Not vacuous: many decisions, and sentences built from model drivers among them.
    expect(total).toBeGreaterThan(200);
    expect(fromDrivers).toBeGreaterThan(20);
  }, 120_000);

  it('the deny list catches what customers were told before', () => {
    for (const bad of ['because of your channel code', 'because of your vulnerable', 'because of your days since contact', 'because of your age', 'because of your risk_level']) expect(deniedWordsIn(bad).length + (bad.includes('days since contact') ? 1 : 0), bad).toBeGreaterThan(0);
    // The twin's protected and internal features are never citable, whatever label they get.
    const uncitable = TWIN_MODEL_FEATURES.filter((f) => !citable(f));
    expect(uncitable).toEqual(expect.arrayContaining(['age', 'risk_level', 'sophistication', 'vulnerable', 'days_since_contact', 'channel_code']));
    expect(customerLabel('age', { age: 'time of life' })).toBeUndefined();
    expect(customerLabel('idle_cash', { idle_cash: 'cash beyond a month of outgoings' })).toBe('cash beyond a month of outgoings');
    expect(customerLabel('logins_30d', {})).toBeUndefined();
  });
});
