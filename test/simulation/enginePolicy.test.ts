import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseCatalogueYaml } from '../../src/decisioning/index.js';
import { enginePolicy, explorationFamilies, measureOnTwin, RecentDecisionLog, trainTwinScorer, twinProfile } from '../../src/simulation/enginePolicy.js';
import { compileTriggers, parseTriggerSet } from '../../src/triggers/index.js';
import { randomPolicy } from '../../src/simulation/policies.js';
import { runClosedLoop, type CustomerView, type NamedPolicy } from '../../src/simulation/closedLoop.js';
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
    const trained = await trainTwinScorer(scenario, { days: 45, seed: 1003, rounds: 20 });
    expect(trained.samples).toBeGreaterThan(500);
    expect(Object.keys(trained.models).length).toBeGreaterThanOrEqual(5);
    const engine = await measureOnTwin(enginePolicy(catalogue, trained.scorer), scenario, { days: 30, seed: 3 });
    const random = await measureOnTwin(randomPolicy, scenario, { days: 30, seed: 3 });
    expect(engine.acceptedValueGBP).toBeGreaterThan(random.acceptedValueGBP);
    expect(engine.consentBreaches).toBe(0);
  });

  it('hears its declines: a declined action is not offered again within the 30-day cool-down', async () => {
    // Without the per-family caps, which would hide repeats on their own.
    const weeklyOnly = { ...catalogue, contactPolicy: { ...catalogue.contactPolicy, caps: catalogue.contactPolicy.caps.filter((c) => c.family === undefined) } };
    const repeatsAfterDecline = async (hear: boolean) => {
      const policy = enginePolicy(weeklyOnly);
      const offers = new Map<string, { day: number; actionId: string }[]>();
      const declines: { customerId: string; day: number; actionId: string }[] = [];
      const watched: NamedPolicy = {
        name: 'engine',
        async decide(view, ctx) {
          const offer = await policy.decide(view, ctx);
          if (offer) {
            const record = await policy.decisioning.decision(`${view.customerId}-${ctx.day}-${offer.channel}`);
            offers.set(view.customerId, [...(offers.get(view.customerId) ?? []), { day: ctx.day, actionId: record.chosen[0]!.actionId }]);
          }
          return offer;
        },
      };
      if (hear) watched.observe = policy.observe!;
      await runClosedLoop({
        scenario: { ...scenario, customers: 300 },
        days: 60,
        seed: 3,
        policy: watched,
        onDay: (events, day) => {
          for (const e of events) if (e.type === 'offer_response' && e.payload.response === 'declined') declines.push({ customerId: e.customerId, day, actionId: offers.get(e.customerId)!.at(-1)!.actionId });
        },
      });
      expect(declines.length).toBeGreaterThan(20);
      return declines.filter((d) => offers.get(d.customerId)!.some((o) => o.actionId === d.actionId && o.day > d.day && o.day < d.day + 30)).length;
    };
    expect(await repeatsAfterDecline(true)).toBe(0);
    // Without hearing the responses the same engine does repeat itself: the check has teeth.
    expect(await repeatsAfterDecline(false)).toBeGreaterThan(0);
  });

  it('acts on the moments its triggers catch: among the trigger\'s families only, once per period, and not at all without a fire', async () => {
    // Every salary is a moment to suggest saving (a trigger kept simple so that it fires often).
    const set = parseTriggerSet({ triggers: [{ id: 'salary_saving', kind: 'event', events: ['salary'], consider: { families: ['savings'] }, channels: { preferred: true, fallbacks: ['in_app', 'email'] }, oncePer: '30d', priority: 10 }] });
    const families = new Map<string, number>();
    const policy = enginePolicy(catalogue, undefined, 'triggers-only', undefined, undefined, { triggers: { triggers: compileTriggers(set), batch: false }, log: new RecentDecisionLog() });
    const report = await runClosedLoop({ scenario, days: 40, seed: 3, policy, onOffer: (x) => families.set(x.offer.family, (families.get(x.offer.family) ?? 0) + 1) });
    const fires = policy.triggerTally.fires.salary_saving ?? 0;
    const offers = policy.triggerTally.offers.salary_saving ?? 0;
    // Salaries are monthly: about one fire per customer a month, never two within 30 days.
    expect(fires).toBeGreaterThan(100);
    expect(fires).toBeLessThanOrEqual(2 * 300);
    expect(offers).toBeGreaterThan(0);
    expect(offers).toBe(report.offersShown);
    expect([...families.keys()]).toEqual(['savings']);
    // The same engine in batch decides every morning and offers far more, and more than savings.
    const batch = enginePolicy(catalogue, undefined, 'engine', undefined, undefined, { log: new RecentDecisionLog() });
    const batchFamilies = new Set<string>();
    const all = await runClosedLoop({ scenario, days: 40, seed: 3, policy: batch, onOffer: (x) => batchFamilies.add(x.offer.family) });
    expect(all.offersShown).toBeGreaterThan(report.offersShown);
    expect(batchFamilies.size).toBeGreaterThan(1);
  });

  it('keeps only the decisions a response can link to, for two windows (long runs hold no more)', async () => {
    const log = new RecentDecisionLog(8);
    const day = 86_400_000;
    const d = (id: string, at: number, chosen: { actionId: string }[]) => ({ decisionId: id, customerId: 'c', channel: 'email', decidedAt: at, catalogueVersion: 'v', chosenActions: chosen.map((c) => c.actionId), record: { chosen } });
    await log.append(d('none', 0, []));
    await log.append(d('a', 0, [{ actionId: 'x' }]));
    await log.append(d('b', 9 * day, [{ actionId: 'x' }]));
    expect(await log.get('none')).toBeUndefined();
    expect(await log.linkResponse('a', { eventId: 'e', actionId: 'x', channel: 'email', response: 'accepted', at: 9 * day })).toBe(true);
    await log.append(d('c', 18 * day, [{ actionId: 'x' }]));
    expect(await log.get('a')).toBeUndefined();
    expect((await log.get('b'))?.decisionId).toBe('b');
    expect(await log.count()).toBe(2);
  });

  it('maps the engine view onto bank-pack feature names', () => {
    const view: CustomerView = {
        customerId: 'x',
        customer: { customerId: 'x', country: 'GB', timeZone: 'Europe/London', vulnerabilityFlags: [], residentInCountry: true, holdings: [], consents: {}, attributes: {} },
        holdings: ['savings'],
        consents: { marketing: true, personalised_offers: true },
        balances: { current: 12_000, savings: 5000, creditCard: 0, loan: 0, mortgage: 0, invested: 0 },
        recent: { cardSpend: 1000, spendAbroad: 0, logins: 4, transfersToCompetitors: 0, missedPayments: 0, complaints: 0, latePayments: 0, hardshipContacts: 0.4, overdrawnDays: 0 },
        daysSince: { missedPayment: Infinity, latePayment: Infinity, hardshipContact: 200 },
        lastSalary: 2500,
        daysSinceSalary: 10,
        daysSinceContact: Infinity,
        baseRateChange: 0,
      };
    const p = twinProfile(view, 'email');
    expect(p).toMatchObject({ idle_cash: 16_000, current_balance_avg_30d: 12_000, savings_balance_avg_90d: 5000, income_90d: 7500, holds_savings: 1, holds_isa: 0, channel_code: 1, days_since_contact: 999, contacts_30d: 0, days_since_guidance_taken: 999, days_since_retention_taken: 999 });
    // A 365-day count is at least 1 while the latest event is under a year old, else 0.
    expect(p).toMatchObject({ hardship_contacts_365d: 1, loan_repayments_missed_365d: 0, loan_repayments_late_365d: 0, overdraft_days_90d: 0 });
    // The bank's own logs: its recent contacts and what the customer took up lately.
    expect(twinProfile({ ...view, contacts30d: 3, daysSinceTakeUp: { retention: 12 } }, 'email')).toMatchObject({ contacts_30d: 3, days_since_retention_taken: 12, days_since_guidance_taken: 999 });
    // Tenure as the log knows it: the days of history the run has given the bank.
    expect(twinProfile({ ...view, historyDays: 17 }, 'email')).toMatchObject({ days_since_first_seen: 17 });
  });

  it('explores every family the catalogue may offer the customer: holders of savings, an ISA or a pension too, never a second card or loan', () => {
    const view = (holdings: string[], consents = { marketing: true, personalised_offers: true }) => ({ holdings, consents, recent: { complaints: 0 } }) as unknown as CustomerView;
    expect(explorationFamilies(view(['savings', 'isa', 'pension']))).toEqual(['credit_card', 'personal_loan', 'savings', 'investment', 'pension', 'retention', 'guidance', 'service_message']);
    expect(explorationFamilies(view(['credit_card', 'personal_loan']))).toEqual(['refinancing', 'savings', 'investment', 'pension', 'retention', 'guidance', 'service_message']);
    expect(explorationFamilies(view(['mortgage'], { marketing: false, personalised_offers: true }))).toEqual(['guidance', 'service_message']);
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
