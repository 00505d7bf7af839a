import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BankEvent } from '../../src/core/events.js';
import { runClosedLoop, type CustomerView, type NamedPolicy, type PolicyReport } from '../../src/simulation/closedLoop.js';
import { consentAllows } from '../../src/simulation/offers.js';
import { oraclePolicy, oracleValuePolicy, randomPolicy, rulesPolicy } from '../../src/simulation/policies.js';
import { loadScenario } from '../../src/simulation/scenario.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The default scenario's mix, market and seed, at a size a unit test can afford.
const scenario = { ...loadScenario(join(root, 'scenarios', 'default.yaml')), customers: 1200, days: 60 };

describe('closed loop on the default scenario', () => {
  const reports: Record<string, PolicyReport> = {};

  it('oracle beats rules beats random on acceptance rate, by at least 10 points each', async () => {
    for (const policy of [randomPolicy, rulesPolicy, oraclePolicy]) reports[policy.name] = await runClosedLoop({ scenario, policy });
    const { random, rules, oracle } = reports as Record<'random' | 'rules' | 'oracle', PolicyReport>;
    expect(random.offersShown).toBeGreaterThan(1000);
    expect(rules.offersShown).toBeGreaterThan(500);
    expect(oracle.offersShown).toBeGreaterThan(500);
    expect(rules.acceptanceRate).toBeGreaterThan(random.acceptanceRate + 0.1);
    expect(oracle.acceptanceRate).toBeGreaterThan(rules.acceptanceRate + 0.1);
  });

  it('the value oracle beats rules on revenue and CLV', async () => {
    const value = await runClosedLoop({ scenario, policy: oracleValuePolicy });
    expect(value.offerRevenueGBP).toBeGreaterThan(reports.rules!.offerRevenueGBP);
    expect(value.clvPerCustomerGBP).toBeGreaterThan(reports.rules!.clvPerCustomerGBP);
    expect(value.harm).toBe(0);
  });

  it('the oracle, which knows suitability, does no harm; random offers do', () => {
    expect(reports.oracle!.harm).toBe(0);
    expect(reports.random!.harm).toBeGreaterThan(0);
    for (const r of Object.values(reports)) {
      expect(r.consentBreaches).toBe(0);
      expect(r.accepted).toBe(Object.values(r.byFamily).reduce((s, f) => s + f.accepted, 0));
      expect(r.contactsPerCustomer).toBeCloseTo(r.offersShown / r.customers, 3);
    }
  });

  it('holds every arm to the engine\'s consents: marketing and personalised offers; retention is marketing unless the customer complained', async () => {
    const small = { ...scenario, customers: 400, days: 20 };
    // A policy that reads only the marketing consent (as the reference arms once did) is caught.
    const marketingOnly: NamedPolicy = {
      name: 'marketing-only',
      decide: (view) => (view.daysSinceContact >= 7 && view.consents.marketing ? { family: 'savings', channel: 'in_app' } : null),
    };
    const seen = { withoutPersonalised: 0 };
    const careless = await runClosedLoop({
      scenario: small,
      policy: {
        name: 'careless',
        decide: (view, ctx) => {
          if (view.consents.marketing && !view.consents.personalised_offers) seen.withoutPersonalised++;
          return marketingOnly.decide(view, ctx);
        },
      },
    });
    expect(seen.withoutPersonalised).toBeGreaterThan(0);
    expect(careless.consentBreaches).toBeGreaterThan(0);
    // A retention call is service only for a customer who has complained.
    const retention = await runClosedLoop({ scenario: small, policy: { name: 'retain-all', decide: (view) => (view.daysSinceContact >= 7 ? { family: 'retention', channel: 'call_centre' } : null) } });
    expect(retention.consentBreaches).toBeGreaterThan(0);
    expect(consentAllows({ marketing: false, personalised_offers: false }, 'retention', 1)).toBe(true);
    expect(consentAllows({ marketing: true, personalised_offers: false }, 'retention', 0)).toBe(false);
    expect(consentAllows({ marketing: false, personalised_offers: false }, 'guidance', 0)).toBe(true);
    for (const policy of [randomPolicy, rulesPolicy, oraclePolicy, oracleValuePolicy]) expect((await runClosedLoop({ scenario: small, policy })).consentBreaches).toBe(0);
  });

  it('the same policy and seed give the same report', async () => {
    const again = await runClosedLoop({ scenario, policy: rulesPolicy });
    expect(again).toEqual(reports.rules);
  });

  it('answers an async policy, shows it only the observable view, and emits valid offer_response events', async () => {
    const seen: CustomerView[] = [];
    const policy: NamedPolicy = {
      name: 'always-savings-in-app',
      decide: async (view, ctx) => {
        expect(ctx.truth).toBeUndefined();
        if (seen.length < 50) seen.push(view);
        return view.daysSinceContact >= 10 ? { family: 'savings', channel: 'in_app' } : null;
      },
    };
    const responses: string[] = [];
    let invalid = 0;
    const report = await runClosedLoop({
      scenario: { ...scenario, customers: 150, days: 25 },
      policy,
      onDay: (events) => {
        for (const e of events) {
          if (!BankEvent.safeParse(e).success) invalid++;
          if (e.type === 'offer_response') responses.push(`${e.payload.decisionId}:${e.payload.response}`);
        }
      },
    });
    expect(invalid).toBe(0);
    expect(report.offersShown).toBe(responses.filter((r) => r.endsWith(':shown')).length);
    expect(report.accepted).toBe(responses.filter((r) => r.endsWith(':accepted')).length);
    expect(report.accepted).toBeGreaterThan(0);
    for (const v of seen) expect(JSON.stringify(v)).not.toMatch(/"persona"|Persona|hazard|"stress"|leaving/);
  });

  it("counts the bank's own offers to each customer over the last 30 days in the view", async () => {
    // Offers every 10th day: the view on day d counts those on the days in (d − 30, d).
    const counts = new Map<number, number[]>();
    const policy: NamedPolicy = {
      name: 'every-ten-days',
      decide: (view, ctx) => {
        if (view.customerId === 'c0000001') counts.set(ctx.day, [view.contacts30d ?? 0]);
        return ctx.day % 10 === 0 ? { family: 'guidance', channel: 'in_app' } : null;
      },
    };
    await runClosedLoop({ scenario: { ...scenario, customers: 5, days: 45 }, policy });
    const expected = (d: number) => [0, 10, 20, 30, 40].filter((o) => o < d && d - o < 30).length;
    expect(counts.size).toBeGreaterThan(40);
    for (const [d, [n]] of counts) expect([d, n]).toEqual([d, expected(d)]);
  });

  it('shows arrears, hardship contacts and overdrawn days as the events report them', async () => {
    // The latest day each customer missed or was late with a repayment, or called about
    // hardship, read from the events alone; the next morning's view must agree.
    const last = { missed: new Map<string, number>(), late: new Map<string, number>(), hardship: new Map<string, number>() };
    let checked = 0;
    let flagged = 0;
    const policy: NamedPolicy = {
      name: 'watch',
      decide: (view, ctx) => {
        const since = (m: Map<string, number>) => (m.has(view.customerId) ? ctx.day - m.get(view.customerId)! : Infinity);
        expect(view.daysSince).toEqual({ missedPayment: since(last.missed), latePayment: since(last.late), hardshipContact: since(last.hardship) });
        // Decayed counts are positive exactly when such an event was seen.
        expect(view.recent.hardshipContacts > 0).toBe(last.hardship.has(view.customerId));
        expect(view.recent.latePayments > 0).toBe(last.late.has(view.customerId));
        if (view.balances.current < 0 && ctx.day > 0) expect(view.recent.overdrawnDays).toBeGreaterThan(0);
        checked++;
        if (Number.isFinite(view.daysSince.hardshipContact) || Number.isFinite(view.daysSince.latePayment) || Number.isFinite(view.daysSince.missedPayment)) flagged++;
        return null;
      },
    };
    await runClosedLoop({
      scenario: { ...scenario, customers: 400, days: 45 },
      policy,
      onDay: (events, day) => {
        for (const e of events) {
          if (e.type === 'loan_repayment' && e.payload.status === 'missed') last.missed.set(e.customerId, day);
          if (e.type === 'loan_repayment' && e.payload.status === 'late') last.late.set(e.customerId, day);
          if (e.type === 'contact_centre' && e.payload.topics.some((t) => t === 'hardship' || t === 'payment_difficulty')) last.hardship.set(e.customerId, day);
        }
      },
    });
    expect(checked).toBeGreaterThan(15_000);
    expect(flagged).toBeGreaterThan(500);
    expect(last.missed.size).toBeGreaterThan(0);
  });
});
