import { describe, it, expect } from 'vitest';
import { checkEvent } from '../../src/ingest/check.js';
import { parseConfig } from '../../src/config.js';
import { exampleEvents } from '../helpers/events.js';

const now = Date.parse('2026-03-01T12:00:00Z');
const ctx = { now, maxFutureMs: 300_000, erased: new Set(['gone']) };
const deposit = () => structuredClone(exampleEvents()[0]!) as Record<string, any>;

function issuesOf(raw: unknown) {
  const r = checkEvent(raw, ctx);
  if (r.ok) throw new Error('expected a rejection');
  return r.issues;
}

describe('checkEvent', () => {
  it('accepts one valid example of every type and canonicalises it', () => {
    for (const e of exampleEvents()) {
      const r = checkEvent(e, ctx);
      expect(r.ok, `${e.type}: ${JSON.stringify(r)}`).toBe(true);
    }
    const a = checkEvent({ ...deposit() }, ctx);
    const shuffled = Object.fromEntries(Object.entries(deposit()).reverse());
    const b = checkEvent(shuffled, ctx);
    expect(a.ok && b.ok && a.item.body === b.item.body).toBe(true);
  });

  it('names the field and rule of schema errors', () => {
    const e = deposit();
    delete e.customerId;
    e.payload.amount.minor = 1.5;
    e.occurredAt = '2026-03-01 09:00';
    const issues = issuesOf(e);
    expect(issues).toContainEqual(expect.objectContaining({ field: 'customerId', rule: 'required' }));
    expect(issues).toContainEqual(expect.objectContaining({ field: 'payload.amount.minor', rule: 'type' }));
    expect(issues).toContainEqual(expect.objectContaining({ field: 'occurredAt', rule: 'format' }));
  });

  it('rejects unknown types and unknown fields by name', () => {
    expect(issuesOf({ ...deposit(), type: 'teleport' })[0]).toMatchObject({ field: 'type', rule: 'enum' });
    expect(issuesOf({ ...deposit(), colour: 'red' })[0]).toMatchObject({ rule: 'unknown_field' });
    expect(issuesOf('hello')[0]).toMatchObject({ field: '', rule: 'type' });
    expect(issuesOf({ ...deposit(), schemaVersion: 2 })[0]).toMatchObject({ field: 'schemaVersion' });
  });

  it('applies the data-quality rules: future time, sign, currency, erased customer', () => {
    expect(issuesOf({ ...deposit(), occurredAt: '2026-03-01T12:06:00Z' })[0]).toMatchObject({ field: 'occurredAt', rule: 'future_timestamp' });
    expect(checkEvent({ ...deposit(), occurredAt: '2026-03-01T12:04:00Z' }, ctx).ok).toBe(true);
    const neg = deposit();
    neg.payload.amount.minor = -100;
    expect(issuesOf(neg)[0]).toMatchObject({ field: 'payload.amount.minor', rule: 'sign' });
    const cur = deposit();
    cur.payload.amount.currency = 'ABC';
    expect(issuesOf(cur)[0]).toMatchObject({ field: 'payload.amount.currency', rule: 'currency' });
    expect(issuesOf({ ...deposit(), customerId: 'gone' })[0]).toMatchObject({ field: 'customerId', rule: 'erased_customer' });
    const sell = exampleEvents().find((e) => e.type === 'investment_trade')! as Record<string, any>;
    expect(issuesOf({ ...sell, payload: { ...sell.payload, side: 'sell' } })[0]).toMatchObject({ rule: 'sign' });
    const missed = exampleEvents().find((e) => e.type === 'loan_repayment')! as Record<string, any>;
    expect(checkEvent({ ...missed, payload: { ...missed.payload, amount: { minor: 0, currency: 'GBP' }, status: 'missed' } }, ctx).ok).toBe(true);
    expect(issuesOf({ ...missed, payload: { ...missed.payload, amount: { minor: 0, currency: 'GBP' } } })[0]).toMatchObject({ rule: 'sign' });
  });

  it('checks the currency of every money field, not just amount', () => {
    const fx = exampleEvents()[3]! as Record<string, any>;
    expect(issuesOf({ ...fx, payload: { ...fx.payload, originalAmount: { minor: -5, currency: 'QQQ' } } })[0]).toMatchObject({ field: 'payload.originalAmount.currency' });
  });
});

describe('plausibility rules', () => {
  it('rejects dates before 1900 (implausible_date) and amounts beyond the bound (amount_limit), with the bound configurable', () => {
    expect(issuesOf({ ...deposit(), occurredAt: '0000-01-01T00:00:00Z' })[0]).toMatchObject({ field: 'occurredAt', rule: 'implausible_date' });
    expect(issuesOf({ ...deposit(), occurredAt: '1899-12-31T23:59:59Z' })[0]).toMatchObject({ rule: 'implausible_date' });
    expect(checkEvent({ ...deposit(), occurredAt: '1900-01-01T00:00:00Z' }, ctx).ok).toBe(true);
    const huge = exampleEvents().find((e) => e.type === 'card_payment')! as Record<string, any>;
    const trillions = { ...huge, payload: { ...huge.payload, amount: { minor: -9_000_000_000_000_000, currency: 'GBP' } } };
    expect(issuesOf(trillions)[0]).toMatchObject({ field: 'payload.amount.minor', rule: 'amount_limit' });
    const big = deposit();
    big.payload.amount.minor = 5_000_000;
    expect(checkEvent(big, ctx).ok).toBe(true);
    const r = checkEvent(big, { ...ctx, maxAmountMinor: 1_000_000 });
    expect(!r.ok && r.issues[0]).toMatchObject({ rule: 'amount_limit' });
    // After tomorrow is never plausible: the skew allowance cannot be configured past a day.
    expect(() => parseConfig({ ingest: { maxFutureSeconds: 86_401 } })).toThrow(/maxFutureSeconds/);
    expect(parseConfig({ ingest: { maxAmountMinor: 500 } }).ingest.maxAmountMinor).toBe(500);
  });
});
