import { describe, expect, it } from 'vitest';
import type { BankEvent, StoredEvent } from '../../src/core/events.js';
import { customerOutcomes, type ExposureDecision } from '../../src/experiments/outcomes.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
let seq = 0;
const at = (day: number, e: Omit<BankEvent, 'eventId' | 'occurredAt' | 'source'> & Record<string, unknown>): StoredEvent => {
  const t = T0 + day * DAY;
  return { seq: ++seq, t, recordedAt: t, event: { eventId: `e${seq}`, occurredAt: new Date(t).toISOString(), ...e } as unknown as BankEvent };
};
const snap = (day: number, customerId: string, accountId: string, accountType: string, pounds: number) => at(day, { type: 'balance_snapshot', customerId, payload: { accountId, accountType, balance: { minor: pounds * 100, currency: 'GBP' } } } as never);
const repay = (day: number, customerId: string, status: string) => at(day, { type: 'loan_repayment', customerId, payload: { loanId: 'l1', amount: { minor: 0, currency: 'GBP' }, kind: 'scheduled', status } } as never);
const accept = (day: number, customerId: string, decisionId: string, actionId: string) => at(day, { type: 'offer_response', customerId, payload: { decisionId, actionId, channel: 'email', response: 'accepted' } } as never);
const login = (day: number, customerId: string) => at(day, { type: 'login', customerId, payload: { channel: 'web' } } as never);

describe('per-customer outcomes read from the log (hand-counted)', () => {
  const exp = { experimentId: 'x', arm: 'a', heldOut: false };
  const decisions: ExposureDecision[] = [
    { decisionId: 'd1', customerId: 'c1', decidedAt: T0 + 10 * DAY, experiment: exp, chosen: [{ actionId: 'cc1', family: 'credit_card', value: 120 }], clv: 300, vulnerable: true },
    { decisionId: 'd2', customerId: 'c1', decidedAt: T0 + 20 * DAY, experiment: exp, chosen: [{ actionId: 'sav1', family: 'savings', value: 40 }], clv: 350, vulnerable: true },
  ];
  const events = [
    // before exposure: current + savings accounts, one late repayment, two logins
    snap(8, 'c1', 'cur', 'current', 500),
    snap(9, 'c1', 'cur', 'current', 400),
    snap(9, 'c1', 'sav', 'savings', 1000),
    repay(5, 'c1', 'late'),
    login(3, 'c1'),
    login(9, 'c1'),
    // after: the card accepted on day 12 (inside 7 days), the saver on day 30 (outside)
    accept(12, 'c1', 'd1', 'cc1'),
    accept(30, 'c1', 'd2', 'sav1'),
    repay(40, 'c1', 'missed'),
    repay(41, 'c1', 'paid'),
    login(45, 'c1'),
    // at the end: a credit card account appears, savings grew, the current account overdrawn
    snap(57, 'c1', 'cur', 'current', -20),
    snap(57, 'c1', 'sav', 'savings', 3000),
    snap(57, 'c1', 'card', 'credit_card', -150),
    snap(59, 'c1', 'isa', 'isa', 500),
  ];

  it('counts products, savings, arrears, early value, CLV and churn as defined', () => {
    const [c] = customerOutcomes(decisions, events, { experimentId: 'x', until: T0 + 60 * DAY, inactiveDays: 10 });
    expect(c).toMatchObject({
      customerId: 'c1',
      decisions: 2,
      contacts: 2,
      offersAccepted: 2,
      value: 160,
      earlyValue: 120,
      loginsBefore: 2,
      loginsAfter: 1,
      productsBefore: 2,
      productsAfter: 4,
      savingsBefore: 1000,
      savingsAfter: 3500,
      overdrawnAtEnd: true,
      arrearsBefore: 1,
      arrearsAfter: 1,
      creditAccepted: true,
      clvBefore: 300,
      clvAfter: 350,
      vulnerable: true,
    });
    // the last customer activity is the login on day 45; the day-57/59 balance snapshots are the bank's, not the customer's
    expect(c!.churned).toBe(true);
    expect(c!.survivalDays).toBe(35);
  });
});

describe('CLV from the log: the CLV model at exposure and at the end', () => {
  it('reads each customer’s card payments before each time, and compares value + CLV with CUPED on the CLV at exposure', async () => {
    const { resultsFromLog } = await import('../../src/experiments/fromLog.js');
    const { parseExperiment } = await import('../../src/experiments/definition.js');
    const e = parseExperiment({ id: 'clv', status: 'running', control: 'b', arms: [{ name: 'a', kind: 'policy', policy: 'engine' }, { name: 'b', kind: 'holdout' }], startAt: T0 });
    const ids = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const pay = (day: number, c: string) => ev2(day, c);
    const events = new Map(ids.map((c, i) => [c, [...Array.from({ length: 1 + (i % 5) }, (_, k) => pay(k, c)), ...Array.from({ length: (i % 2 === 0 ? 3 : 1) + (i % 4 < 2 ? 1 : 0) }, (_, k) => pay(20 + k, c))]]));
    const logged = (c: string, i: number) => [{ decisionId: `d-${c}`, customerId: c, channel: 'email', decidedAt: T0 + 10 * DAY, catalogueVersion: 'v', record: { experiment: { experimentId: 'clv', arm: i % 2 === 0 ? 'a' : 'b', heldOut: i % 2 === 1 }, chosen: [], candidates: [], inputs: { customer: { vulnerable: false } } }, responses: [] }];
    const seen: number[] = [];
    const r = await resultsFromLog(e, {
      customers: { list: async (o: { afterId?: string }) => (o.afterId ? [] : ids.map((customerId) => ({ customerId }) as never)) },
      decisions: async (c) => logged(c, ids.indexOf(c)) as never,
      events: async (c) => events.get(c)!,
      now: T0 + 40 * DAY,
      clvAt: (_c, payments, at) => {
        seen.push(at);
        return payments.length * 10;
      },
    });
    const a = r.arms.find((x) => x.arm === 'a')!;
    const b = r.arms.find((x) => x.arm === 'b')!;
    // after exposure arm a makes 3-4 payments (3.5 on average), arm b 1-2 (1.5); before it, 1-5 in both (2 on average)
    expect(a.clvPerCustomer! - b.clvPerCustomer!).toBeCloseTo(20, 6);
    const c = r.comparisons[0]!;
    if ('unavailable' in c.clv) throw new Error(c.clv.unavailable);
    expect(c.clv.test.difference).toBeCloseTo(20, 6);
    // the covariate (payments before exposure) explains the rest of the variance
    expect(c.clv.varianceReduction).toBeGreaterThan(0.5);
    expect(new Set(seen)).toEqual(new Set([T0 + 10 * DAY, T0 + 40 * DAY]));
  });
});

function ev2(day: number, customerId: string): StoredEvent {
  const t = T0 + day * DAY;
  return { seq: ++seq, t, recordedAt: t, event: { eventId: `p${seq}`, occurredAt: new Date(t).toISOString(), customerId, type: 'card_payment', payload: { amount: { minor: -1000, currency: 'GBP' } } } as unknown as BankEvent };
}
