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
