import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BankEvent } from '../../src/core/events.js';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { buildDataset, timeSplit } from '../../src/training/dataset.js';
import { CHURN, CONTACT_FEATURES, OFFER_ACCEPTANCE, PREPAYMENT } from '../../src/training/definitions.js';
import { labelRows, type LabelRow } from '../../src/training/labels.js';
import { appendAll } from './synthetic.js';

const DAY = 86_400_000;
const T0 = Date.parse('2025-01-01T00:00:00Z');
const at = (day: number, hour = 10) => new Date(T0 + day * DAY + hour * 3_600_000).toISOString();
let n = 0;
const ev = (c: string, day: number, type: string, payload: Record<string, unknown>, hour = 10) => ({ eventId: `e${n++}`, customerId: c, occurredAt: at(day, hour), schemaVersion: 1, type, payload }) as unknown as BankEvent;
const shown = (c: string, day: number, action: string) => ev(c, day, 'offer_response', { decisionId: `d-${c}-${day}`, actionId: action, channel: 'push', response: 'shown' });
const accepted = (c: string, day: number, action: string) => ev(c, day, 'offer_response', { decisionId: `d-${c}-${day}`, actionId: action, channel: 'push', response: 'accepted' }, 11);
const login = (c: string, day: number) => ev(c, day, 'login', { channel: 'mobile_app' });

async function logOf(events: BankEvent[]): Promise<MemoryEventLog> {
  const log = new MemoryEventLog();
  await appendAll(log, [...events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt)));
  return log;
}

describe('labels from the log', () => {
  it('offer take-up: same action within 14 days counts, another action or day 15 does not; unobserved tails are dropped', async () => {
    const log = await logOf([
      shown('a', 10, 'savings'),
      accepted('a', 20, 'savings'), // 10 days + 1 h later: positive
      shown('b', 10, 'savings'),
      accepted('b', 12, 'credit_card'), // other action: negative
      shown('c', 10, 'savings'),
      accepted('c', 24, 'savings'), // 14 days + 1 h: outside the window
      shown('d', 95, 'savings'), // horizon passes the end of the log (day 100)
    ]);
    const rows = await labelRows(log, OFFER_ACCEPTANCE, { from: T0, to: T0 + 100 * DAY, observedUntil: T0 + 100 * DAY });
    const byCustomer = Object.fromEntries(rows.map((r) => [r.customerId, r]));
    expect(Object.keys(byCustomer).sort()).toEqual(['a', 'b', 'c']);
    expect(byCustomer.a).toMatchObject({ label: 1, action: 'savings', channel: 'push', asOf: Date.parse(at(10)) - 1 });
    expect(byCustomer.a!.time).toBeCloseTo(10 + 1 / 24, 9);
    expect(byCustomer.b!.label).toBe(0);
    expect(byCustomer.c!.label).toBe(0);
    const scoring = await labelRows(log, OFFER_ACCEPTANCE, { from: T0, to: T0 + 100 * DAY, observedUntil: T0 + 100 * DAY, keepUnobserved: true });
    expect(Number.isNaN(scoring.find((r) => r.customerId === 'd')!.label)).toBe(true);
  });

  it('churn: close-account request or 90 silent days, only for customers active before the snapshot; survival time and censoring', async () => {
    const events: BankEvent[] = [];
    for (let d = 0; d < 300; d += 3) events.push(login('stay', d));
    for (let d = 0; d < 40; d += 3) events.push(login('closer', d));
    events.push(ev('closer', 45, 'contact_centre', { channel: 'phone', topics: ['close_account'] }));
    for (let d = 0; d < 60; d += 3) events.push(login('silent', d)); // last activity day 57
    const log = await logOf(events);
    const rows = await labelRows(log, CHURN, { from: T0 + 35 * DAY, to: T0 + 36 * DAY, observedUntil: T0 + 300 * DAY });
    const r = Object.fromEntries(rows.map((x) => [x.customerId, x]));
    expect(r.closer).toMatchObject({ label: 1, event: 1 });
    expect(r.closer!.time).toBeCloseTo(10 + 10 / 24, 9);
    // Silent from day 57: the outcome is day 57 + 90 = 147, i.e. 112 days after the day-35 snapshot.
    expect(r.silent).toMatchObject({ label: 0, event: 1, time: 112 });
    expect(r.stay).toMatchObject({ label: 0, event: 0 });
    expect(r.stay!.time).toBeCloseTo(265, 9);
    // After the close-account request the customer has no more rows.
    const later = await labelRows(log, CHURN, { from: T0 + 50 * DAY, to: T0 + 51 * DAY, observedUntil: T0 + 300 * DAY });
    expect(later.map((x) => x.customerId).sort()).toEqual(['silent', 'stay']);
  });

  it('prepayment: only borrowers with a recent scheduled repayment are at risk', async () => {
    const repay = (c: string, day: number, kind: string) => ev(c, day, 'loan_repayment', { loanId: 'L', amount: { minor: -100_00, currency: 'GBP' }, kind, status: 'paid', remainingBalance: { minor: 0, currency: 'GBP' } });
    const log = await logOf([repay('p', 5, 'scheduled'), repay('p', 40, 'early_settlement'), repay('q', 5, 'scheduled'), login('r', 5), login('q', 150), login('r', 150)]);
    const rows = await labelRows(log, PREPAYMENT, { from: T0 + 10 * DAY, to: T0 + 11 * DAY, observedUntil: T0 + 200 * DAY });
    expect(rows.map((x) => [x.customerId, x.label])).toEqual([
      ['p', 1],
      ['q', 0],
    ]);
  });
});

describe('no leakage', () => {
  const features = FeatureSet.compile([...BANK_PACK, ...CONTACT_FEATURES]);
  const arbEvent = fc.record({ c: fc.constantFrom('x', 'y'), day: fc.integer({ min: 0, max: 119 }), hour: fc.integer({ min: 0, max: 23 }), kind: fc.constantFrom('login', 'shown', 'accepted', 'card') });
  const toEvent = (a: { c: string; day: number; hour: number; kind: string }) =>
    a.kind === 'login'
      ? ev(a.c, a.day, 'login', { channel: 'web' }, a.hour)
      : a.kind === 'card'
        ? ev(a.c, a.day, 'card_payment', { amount: { minor: -1234, currency: 'GBP' }, merchantCategoryCode: '5812' }, a.hour)
        : ev(a.c, a.day, 'offer_response', { decisionId: 'd', actionId: 'savings', channel: 'email', response: a.kind === 'shown' ? 'shown' : 'accepted' }, a.hour);

  it('moving, dropping or adding events after a row’s as-of time never changes its features (seeded property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbEvent, { minLength: 5, maxLength: 80 }), fc.integer({ min: 10, max: 110 }), fc.array(arbEvent, { maxLength: 20 }), fc.integer({ min: 1, max: 30 }), async (base, cutDay, extra, shift) => {
        const asOf = T0 + cutDay * DAY + 12 * 3_600_000;
        const events = base.map(toEvent);
        const rows: LabelRow[] = ['x', 'y'].map((c) => ({ customerId: c, asOf, label: 0, time: 0, event: 0 }));
        const before = await buildDataset(await logOf(events), features, rows);
        // The future is rewritten: later events move later, some vanish, new ones appear after the as-of.
        const future = events.flatMap((e, k) => (Date.parse(e.occurredAt) <= asOf ? [e] : k % 3 === 0 ? [] : [{ ...e, occurredAt: new Date(Date.parse(e.occurredAt) + shift * DAY).toISOString() }]));
        const added = extra.map((a) => toEvent({ ...a, day: cutDay + 1 + (a.day % 30) }));
        const after = await buildDataset(await logOf([...future, ...added]), features, rows);
        expect(Array.from(after.values)).toEqual(Array.from(before.values));
      }),
      { seed: 11, numRuns: 25 },
    );
  });

  it('time split: train before validation before test, with the purge gap', () => {
    const rows: LabelRow[] = Array.from({ length: 100 }, (_, i) => ({ customerId: `c${i}`, asOf: T0 + i * DAY, label: i % 2, time: 1, event: 0 }));
    const s = timeSplit(rows, 5); // validation spans 20 days: the full 5-day gap applies
    const maxOf = (idx: number[]) => Math.max(...idx.map((i) => rows[i]!.asOf));
    const minOf = (idx: number[]) => Math.min(...idx.map((i) => rows[i]!.asOf));
    expect(maxOf(s.train) + 5 * DAY).toBeLessThan(s.validationFrom);
    expect(minOf(s.validation)).toBeGreaterThanOrEqual(s.validationFrom);
    expect(maxOf(s.validation) + 5 * DAY).toBeLessThan(s.testFrom);
    expect(minOf(s.test)).toBeGreaterThanOrEqual(s.testFrom);
    expect(s.train.length + s.validation.length + s.test.length).toBe(100 - 10);
  });
});
