import { describe, expect, it } from 'vitest';
import { BankEvent, type StoredEvent } from '../../src/core/events.js';
import { compileTriggers, parseTriggerSet, replayTriggers } from '../../src/triggers/index.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-05T09:00:00Z');
const set = compileTriggers(
  parseTriggerSet({
    triggers: [
      { id: 'big_deposit', kind: 'event', events: ['deposit'], condition: 'event.payload.amount.minor >= 5000000', consider: { families: ['investment'] }, oncePer: '30d', priority: 10 },
      { id: 'quiet', kind: 'absence', events: ['login'], days: 20, consider: { families: ['retention'] }, oncePer: '30d', channels: { fallbacks: ['email'] } },
      { id: 'trend', kind: 'threshold', measure: 'profile.logins_trend_30d', below: 0.5, consider: { families: ['retention'] }, oncePer: '30d' },
    ],
  }),
);

let seq = 0;
const at = (day: number, type: string, payload: Record<string, unknown>): StoredEvent => {
  const t = T0 + day * DAY;
  return { seq: ++seq, t, recordedAt: t, event: BankEvent.parse({ eventId: `e${seq}`, customerId: 'c1', occurredAt: new Date(t).toISOString(), schemaVersion: 1, type, payload }) };
};

describe('replaying triggers over a customer\'s history', () => {
  it('says what would have fired, when, and what the guard held back', () => {
    const history = [
      at(0, 'login', { channel: 'web' }),
      at(1, 'deposit', { amount: { minor: 6_000_000, currency: 'GBP' } }),
      at(10, 'deposit', { amount: { minor: 7_000_000, currency: 'GBP' } }),
      at(45, 'deposit', { amount: { minor: 5_000_000, currency: 'GBP' } }),
      at(50, 'login', { channel: 'web' }),
    ];
    // The login trend is 1 until the last login, where it falls to 0.3.
    const trend = [1, 1, 1, 1, 0.3];
    const out = replayTriggers(set, history, { customer: { preferredChannel: 'push', view: {} }, readingsAfter: (i) => ({ profile: { logins_trend_30d: trend[i]! }, scores: {} }), until: T0 + 80 * DAY });
    expect(out.fires.map((f) => [f.triggerId, Math.round((f.at - T0) / DAY)])).toEqual([
      ['big_deposit', 1],
      ['quiet', 20],
      ['big_deposit', 45],
      ['trend', 50],
      ['quiet', 70],
    ]);
    expect(out.heldBack.filter((h) => h.triggerId === 'big_deposit').map((h) => h.eventId)).toEqual(['e3']);
  });
});
