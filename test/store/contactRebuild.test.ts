import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/core/events.js';
import type { ContactRecord } from '../../src/store/contactStore.js';
import type { LoggedDecision } from '../../src/store/decisionLog.js';
import { rebuildContacts, type ContactSink } from '../../src/store/redis/contactRebuild.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-10T12:00:00Z');

const decision = (decisionId: string, customerId: string, at: number, chosenActions: string[], o: { channel?: string; sessionId?: string; catalogueVersion?: string } = {}) =>
  ({ decisionId, customerId, channel: o.channel ?? 'email', decidedAt: at, chosenActions, catalogueVersion: o.catalogueVersion ?? 'v1', record: { inputs: { sessionId: o.sessionId ?? null } } }) as unknown as LoggedDecision;

const catalogues: Record<string, unknown> = {
  v1: { contactPolicy: { channelDailyCapacity: { email: 100 } }, actions: [{ id: 'sav', family: 'savings', dailyCapacity: 10 }, { id: 'card', family: 'cards' }] },
};

function sink() {
  const contacts = new Map<string, ContactRecord[]>();
  const declines: { customerId: string; actionId: string; family: string; at: number; eventId?: string }[] = [];
  let used = new Map<string, number>();
  const s: ContactSink = {
    restoreContacts: async (customerId, list) => void contacts.set(customerId, [...(contacts.get(customerId) ?? []), ...list]),
    restoreCapacity: async (u) => void (used = new Map(u)),
    recordDecline: async (customerId, d) => void declines.push({ customerId, ...d }),
  };
  return { s, contacts, declines, used: () => used };
}

describe('rebuildContacts (the contact history from the logs after Redis lost it)', () => {
  it('gives back each chosen action as a contact with its family and session, the last two days\' capacity counters, and the declines since', async () => {
    const pages = [
      [decision('d1', 'c1', NOW - 30 * DAY, ['sav']), decision('d2', 'c1', NOW - 1 * DAY, ['sav', 'card'], { sessionId: 's9' }), decision('d0', 'c3', NOW - DAY, [])],
      [decision('d3', 'c2', NOW - 1 * DAY, ['card'], { channel: 'push' }), decision('d4', 'c1', NOW - 1 * DAY, ['sav'])],
    ];
    const events = [
      { seq: 1, t: NOW - 40 * DAY, event: { eventId: 'old', customerId: 'c1', type: 'offer_response', payload: { response: 'declined', actionId: 'sav' } } },
      { seq: 2, t: NOW - 2 * DAY, event: { eventId: 'e2', customerId: 'c2', type: 'offer_response', payload: { response: 'declined', actionId: 'card' } } },
      { seq: 3, t: NOW - 2 * DAY, event: { eventId: 'e3', customerId: 'c2', type: 'offer_response', payload: { response: 'accepted', actionId: 'card' } } },
    ] as unknown as StoredEvent[];
    const out = sink();
    const got = await rebuildContacts(
      {
        decisionsSince: async function* () {
          yield* pages;
        },
        getCatalogue: async (v) => catalogues[v],
        eventLog: { readAfter: async (after) => events.filter((e) => e.seq > after) },
      },
      out.s,
      { sinceMs: NOW - 35 * DAY, now: NOW },
    );
    expect(got).toEqual({ contacts: 5, declines: 1, counters: 2 });
    expect(out.contacts.get('c1')).toEqual([
      { decisionId: 'd1', actionId: 'sav', family: 'savings', channel: 'email', at: NOW - 30 * DAY },
      { decisionId: 'd2', actionId: 'sav', family: 'savings', channel: 'email', at: NOW - DAY, sessionId: 's9' },
      { decisionId: 'd2', actionId: 'card', family: 'cards', channel: 'email', at: NOW - DAY, sessionId: 's9' },
      { decisionId: 'd4', actionId: 'sav', family: 'savings', channel: 'email', at: NOW - DAY },
    ]);
    expect(out.contacts.get('c2')).toEqual([{ decisionId: 'd3', actionId: 'card', family: 'cards', channel: 'push', at: NOW - DAY }]);
    expect(out.contacts.has('c3')).toBe(false);
    const day = new Date(NOW - DAY).toISOString().slice(0, 10);
    // Email has a daily capacity (three email decisions yesterday, d2 choosing two actions); push has none; of the actions only `sav` has one.
    expect(Object.fromEntries(out.used())).toEqual({ [`channel:email:${day}`]: 3, [`action:sav:${day}`]: 2 });
    expect(out.declines).toEqual([{ customerId: 'c2', actionId: 'card', family: 'cards', at: NOW - 2 * DAY, eventId: 'e2' }]);
  });
});
