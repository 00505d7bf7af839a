import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BankEvent } from '../../src/core/events.js';
import { ValidationError } from '../../src/core/errors.js';
import { compileTriggers, evaluateAbsences, evaluateTriggers, parseTriggerSet, parseTriggerYaml, type CompiledTrigger, type EventMoment, type Readings } from '../../src/triggers/index.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T09:00:00Z');
const shipped = compileTriggers(parseTriggerYaml(readFileSync(new URL('../../catalogue/triggers.yaml', import.meta.url), 'utf8')));
const none: Readings = { profile: {}, scores: {} };

function ev(type: string, payload: Record<string, unknown>, at = T0, id = `e-${type}-${at}`): BankEvent {
  return BankEvent.parse({ eventId: id, customerId: 'c1', occurredAt: new Date(at).toISOString(), schemaVersion: 1, type, payload });
}

function moment(event: BankEvent, over: Partial<EventMoment> = {}): EventMoment {
  return { event, at: Date.parse(event.occurredAt), customer: { preferredChannel: 'push', view: {} }, before: none, after: none, fired: [], ...over };
}

const gbp = (pounds: number) => ({ minor: Math.round(pounds * 100), currency: 'GBP' });

describe('ready-made triggers', () => {
  it('ships three that compile', () => {
    expect(shipped.map((t) => t.trigger.id)).toEqual(['large_deposit_investment', 'financial_stress_refinancing', 'declining_activity_retention']);
  });

  it('a £50,000 deposit fires the investment suggestion on the preferred channel, then the fallbacks', () => {
    const { fires } = evaluateTriggers(shipped, moment(ev('deposit', { amount: gbp(50_000) })));
    expect(fires).toHaveLength(1);
    expect(fires[0]).toMatchObject({ triggerId: 'large_deposit_investment', channels: ['push', 'in_app', 'email'], consider: { families: ['investment', 'savings'] } });
    expect(fires[0]!.fireId).toBe(`large_deposit_investment:${fires[0]!.eventId}`);
  });

  it('a £49,999.99 deposit, a euro deposit and a transfer from the customer\'s own account do not', () => {
    expect(evaluateTriggers(shipped, moment(ev('deposit', { amount: gbp(49_999.99) }))).fires).toEqual([]);
    expect(evaluateTriggers(shipped, moment(ev('deposit', { amount: { minor: 9_000_000, currency: 'EUR' } }))).fires).toEqual([]);
    expect(evaluateTriggers(shipped, moment(ev('transfer_in', { amount: gbp(80_000), ownAccount: true }))).fires).toEqual([]);
    expect(evaluateTriggers(shipped, moment(ev('transfer_in', { amount: gbp(80_000) }))).fires).toHaveLength(1);
  });

  it('financial stress fires when the state leaves current, not while it stays stretched', () => {
    const e = ev('card_payment', { amount: gbp(-40), merchantCategoryCode: '5411' });
    const current = { profile: {}, scores: { financial_stress: 0 } };
    const stretched = { profile: {}, scores: { financial_stress: 1 } };
    const arrears = { profile: {}, scores: { financial_stress: 2 } };
    expect(evaluateTriggers(shipped, moment(e, { before: current, after: stretched })).fires.map((f) => f.triggerId)).toEqual(['financial_stress_refinancing']);
    expect(evaluateTriggers(shipped, moment(e, { before: stretched, after: arrears })).fires).toEqual([]);
    expect(evaluateTriggers(shipped, moment(e, { before: current, after: current })).fires).toEqual([]);
  });

  it('declining activity fires when the login trend falls below 0.5, once per 30 days', () => {
    const e = ev('login', { channel: 'mobile_app' });
    const before = { profile: { logins_trend_30d: 0.8 }, scores: {} };
    const after = { profile: { logins_trend_30d: 0.4 }, scores: {} };
    const first = evaluateTriggers(shipped, moment(e, { before, after }));
    expect(first.fires.map((f) => f.triggerId)).toEqual(['declining_activity_retention']);
    const again = evaluateTriggers(shipped, moment(ev('login', { channel: 'web' }, T0 + 10 * DAY), { before, after, fired: [{ triggerId: 'declining_activity_retention', at: T0 }] }));
    expect(again.fires).toEqual([]);
    expect(again.heldBack[0]!.reason).toMatch(/once-per period/);
    const later = evaluateTriggers(shipped, moment(ev('login', { channel: 'web' }, T0 + 31 * DAY), { before, after, fired: [{ triggerId: 'declining_activity_retention', at: T0 }] }));
    expect(later.fires).toHaveLength(1);
  });

  it('a customer with no preferred channel is reached on the fallbacks only', () => {
    const { fires } = evaluateTriggers(shipped, moment(ev('deposit', { amount: gbp(60_000) }), { customer: { view: {} } }));
    expect(fires[0]!.channels).toEqual(['in_app', 'email']);
  });
});

describe('trigger kinds', () => {
  const set = (triggers: unknown[]): CompiledTrigger[] => compileTriggers(parseTriggerSet({ triggers }));

  it('absence fires on the clock after N quiet days, once per spell', () => {
    const ts = set([{ id: 'no_login', kind: 'absence', events: ['login'], days: 45, consider: { families: ['retention'] }, oncePer: '1d', channels: { fallbacks: ['email'] } }]);
    const base = { customerId: 'c1', customer: { view: {} }, readings: none, lastSeen: { login: T0 }, fired: [] as { triggerId: string; at: number }[] };
    expect(evaluateAbsences(ts, { ...base, now: T0 + 44 * DAY }).fires).toEqual([]);
    const f = evaluateAbsences(ts, { ...base, now: T0 + 45 * DAY }).fires;
    expect(f).toHaveLength(1);
    expect(f[0]!.channels).toEqual(['email']);
    // Same spell, fired already: nothing; a new login then a new spell: fires again.
    expect(evaluateAbsences(ts, { ...base, now: T0 + 60 * DAY, fired: [{ triggerId: 'no_login', at: T0 + 45 * DAY }] }).fires).toEqual([]);
    expect(evaluateAbsences(ts, { ...base, lastSeen: { login: T0 + 50 * DAY }, now: T0 + 96 * DAY, fired: [{ triggerId: 'no_login', at: T0 + 45 * DAY }] }).fires).toHaveLength(1);
    // Never seen logging in: not absent.
    expect(evaluateAbsences(ts, { ...base, lastSeen: {}, now: T0 + 400 * DAY }).fires).toEqual([]);
    // Events never fire an absence trigger.
    expect(evaluateTriggers(ts, moment(ev('login', { channel: 'web' }))).fires).toEqual([]);
  });

  it('life events fire on the kinds named', () => {
    const ts = set([{ id: 'new_home', kind: 'life_event', kinds: ['house_move', 'marriage'], consider: { actions: ['pl_home_improvement'] }, oncePer: '90d' }]);
    expect(evaluateTriggers(ts, moment(ev('life_event', { kind: 'house_move' }))).fires).toHaveLength(1);
    expect(evaluateTriggers(ts, moment(ev('life_event', { kind: 'job_loss' }))).fires).toEqual([]);
  });

  it('a threshold enters a named state, and a condition reads the profile before', () => {
    const ts = set([
      { id: 'enter', kind: 'threshold', measure: 'scores.stress', enters: 'stretched', consider: { families: ['guidance'] }, oncePer: '7d' },
      { id: 'idle', kind: 'threshold', measure: 'profile.idle_cash', above: 10000, condition: 'context.before.profile.idle_cash < 5000.0', consider: { families: ['savings'] }, oncePer: '7d', priority: 5 },
    ]);
    const e = ev('deposit', { amount: gbp(20_000) });
    const out = evaluateTriggers(ts, moment(e, { before: { profile: { idle_cash: 1000 }, scores: { stress: 'current' } }, after: { profile: { idle_cash: 21000 }, scores: { stress: 'stretched' } } }));
    expect(out.fires.map((f) => f.triggerId)).toEqual(['idle', 'enter']);
    const notFromLow = evaluateTriggers(ts, moment(e, { before: { profile: { idle_cash: 8000 }, scores: { stress: 'stretched' } }, after: { profile: { idle_cash: 21000 }, scores: { stress: 'stretched' } } }));
    expect(notFromLow.fires).toEqual([]);
  });

  it('a condition that errors holds the trigger back with the reason (fails closed)', () => {
    const ts = set([{ id: 'bad', kind: 'event', events: ['deposit'], condition: 'profile.missing > 1.0', consider: { families: ['savings'] }, oncePer: '1d' }]);
    const out = evaluateTriggers(ts, moment(ev('deposit', { amount: gbp(1) })));
    expect(out.fires).toEqual([]);
    expect(out.heldBack[0]!.reason).toMatch(/condition failed/);
  });

  it('global market events fire nothing', () => {
    const ts = set([{ id: 'any', kind: 'event', events: ['market_event'], consider: { families: ['savings'] }, oncePer: '1d' }]);
    const market = BankEvent.parse({ eventId: 'm1', occurredAt: new Date(T0).toISOString(), schemaVersion: 1, type: 'market_event', payload: { kind: 'base_rate_change' } });
    expect(evaluateTriggers(ts, moment(market)).fires).toEqual([]);
  });
});

describe('bad trigger definitions name the field and the rule', () => {
  const issues = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      return (e as ValidationError).issues.map((i) => `${i.field} ${i.rule}`);
    }
    throw new Error('did not throw');
  };
  const good = { id: 'x', kind: 'event', events: ['deposit'], consider: { families: ['savings'] }, oncePer: '1d' };

  it('rejects each broken rule', () => {
    expect(issues(() => parseTriggerSet({ triggers: [{ ...good, oncePer: '1w' }] }))).toEqual(['triggers.0.oncePer format']);
    expect(issues(() => parseTriggerSet({ triggers: [{ ...good, consider: {} }] }))).toEqual(['triggers.0.consider rule']);
    expect(issues(() => parseTriggerSet({ triggers: [{ ...good, events: ['dinner'] }] }))).toEqual(['triggers.0.events.0 enum']);
    expect(issues(() => parseTriggerSet({ triggers: [good, good] }))).toEqual(['triggers.1.id rule']);
    expect(issues(() => parseTriggerSet({ triggers: [{ id: 'x', kind: 'threshold', consider: { families: ['savings'] }, oncePer: '1d', measure: 'profile.x', above: 1, below: 2 }] }))).toEqual(['triggers.0.measure rule']);
    expect(issues(() => parseTriggerSet({ triggers: [{ ...good, channels: { preferred: false } }] }))).toEqual(['triggers.0.channels rule']);
    expect(issues(() => compileTriggers(parseTriggerSet({ triggers: [{ ...good, condition: 'event.payload.amount.minor >=' }] })))).toEqual(['triggers.0.condition cel']);
    expect(issues(() => compileTriggers(parseTriggerSet({ triggers: [{ ...good, condition: 'accounts.size() > 1' }] })))).toEqual(['triggers.0.condition cel']);
    expect(issues(() => parseTriggerYaml('triggers: [ {'))).toEqual([' yaml']);
  });
});
