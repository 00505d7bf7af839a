import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BankEvent, type StoredEvent } from '../../src/core/events.js';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { compileTriggers, MemoryFireLog, parseTriggerSet, parseTriggerYaml, SqliteFireLog, TriggerConsumer, type FireLog, type Readings } from '../../src/triggers/index.js';

/**
 * The trigger consumer reads a batch's remembered readings in one call before it and writes the
 * batch's readings and seen times in one call after it (on PostgreSQL, two round trips per
 * customer were most of the consumer's statements). An erasure that lands while the batch runs (the bus erases beside the partition's owner) or
 * while that write is in flight must still leave nothing of the customer.
 */
const T0 = Date.parse('2026-03-01T09:00:00Z');
const triggers = [
  ...compileTriggers(parseTriggerYaml(readFileSync(new URL('../../catalogue/triggers.yaml', import.meta.url), 'utf8'))),
  ...compileTriggers(parseTriggerSet({ triggers: [{ id: 'no_card', kind: 'absence', events: ['card_payment'], days: 45, consider: { families: ['retention'] }, oncePer: '30d' }] })),
];
let seq = 0;
const card = (customerId: string, at: number): StoredEvent => {
  seq++;
  const event = BankEvent.parse({ eventId: `e${seq}`, customerId, occurredAt: new Date(at).toISOString(), schemaVersion: 1, type: 'card_payment', payload: { amount: { minor: -500, currency: 'GBP' }, merchantCategoryCode: '5411', merchantCountry: 'GB' } });
  return { seq, t: at, recordedAt: at, event };
};
const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
};

function rig(fires: FireLog, readingsOf: (id: string) => Promise<Readings>) {
  return new TriggerConsumer({ fires, triggers: () => triggers, readings: readingsOf, customer: async () => ({ preferredChannel: 'push', view: {} }), decide: async () => ({ decisionId: 'd', chosen: [] }) });
}

const nothingOf = async (fires: FireLog, id: string) => ({ readings: await fires.lastReadings(id), seen: await fires.lastSeen(id), watched: (await fires.watchedCustomers()).includes(id) });
const gone = { readings: undefined, seen: {}, watched: false };

describe.each<[string, () => FireLog]>([
  ['memory', () => new MemoryFireLog()],
  ['sqlite', () => new SqliteFireLog(openSqlite(':memory:'))],
])('trigger consumer: a batch\'s readings and seen times (%s fire log)', (_name, make) => {
  it('one read of remembered readings and one write per batch, with what the per-customer calls wrote', async () => {
    const fires = make();
    // The consumer's calls on the log (a proxy: the log's calls on itself are not the consumer's).
    const calls: string[] = [];
    const watched = new Set(['lastReadings', 'lastReadingsMany', 'saveReadings', 'saveSeen', 'saveMany']);
    const counted = new Proxy(fires, {
      get: (target, p) => {
        const v = Reflect.get(target, p, target) as unknown;
        return typeof v === 'function' ? (...a: unknown[]) => (watched.has(String(p)) && calls.push(String(p)), (v as (...x: unknown[]) => unknown).apply(target, a)) : v;
      },
    });
    const consumer = rig(counted, async (id) => ({ profile: { logins_trend_30d: id === 'c3' ? 0.2 : 1 }, scores: { financial_stress: 0 } }));
    await consumer.apply([card('c1', T0), card('c2', T0 + 1), card('c1', T0 + 2), card('c3', T0 + 3), card('c2', T0 + 4)]);
    expect(calls).toEqual(['lastReadingsMany', 'saveMany']);
    expect(await fires.lastSeen('c1')).toEqual({ card_payment: T0 + 2 });
    expect(await fires.lastSeen('c2')).toEqual({ card_payment: T0 + 4 });
    expect(await fires.lastReadings('c3')).toEqual({ profile: { logins_trend_30d: 0.2 }, scores: { financial_stress: 0 }, kept: { profile: ['logins_trend_30d'], scores: ['financial_stress'] } });
    expect(await fires.watchedCustomers()).toEqual(['c1', 'c2', 'c3']);
  });

  it('a customer erased while the batch is evaluated is left out of its write', async () => {
    const fires = make();
    const reached = gate();
    const release = gate();
    const consumer = rig(fires, async (id) => {
      if (id === 'c2') {
        reached.open();
        await release.opened;
      }
      return { profile: { logins_trend_30d: 1 }, scores: { financial_stress: 0 } };
    });
    const applied = consumer.apply([card('c1', T0), card('c2', T0 + 1)]);
    await reached.opened;
    await consumer.erase('c1');
    release.open();
    await applied;
    expect(await nothingOf(fires, 'c1')).toEqual(gone);
    expect(await nothingOf(fires, 'c2')).toMatchObject({ seen: { card_payment: T0 + 1 }, watched: true });
    expect(await fires.lastReadings('c2')).toBeDefined();
  });

  it('an erasure that comes while the batch\'s write is in flight waits for it, then removes what it wrote', async () => {
    const fires = make();
    const writing = gate();
    const release = gate();
    const saveMany = fires.saveMany.bind(fires);
    fires.saveMany = async (batch) => {
      writing.open();
      await release.opened;
      return saveMany(batch);
    };
    const consumer = rig(fires, async () => ({ profile: { logins_trend_30d: 1 }, scores: { financial_stress: 0 } }));
    const applied = consumer.apply([card('c1', T0), card('c2', T0 + 1)]);
    await writing.opened;
    let erased = false;
    const erasure = consumer.erase('c1').then(() => (erased = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(erased).toBe(false);
    release.open();
    await Promise.all([applied, erasure]);
    expect(await nothingOf(fires, 'c1')).toEqual(gone);
    expect(await nothingOf(fires, 'c2')).toMatchObject({ watched: true });
  });
});
