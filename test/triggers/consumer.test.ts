import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { BankEvent, type StoredEvent } from '../../src/core/events.js';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteFireLog } from '../../src/triggers/sqliteFireLog.js';
import { compileTriggers, MemoryFireLog, type FireLog, parseTriggerSet, parseTriggerYaml, TriggerConsumer, type CompiledTrigger, type Readings, type TriggerDecisionRequest } from '../../src/triggers/index.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T09:00:00Z');
const shipped = compileTriggers(parseTriggerYaml(readFileSync(new URL('../../catalogue/triggers.yaml', import.meta.url), 'utf8')));
const absence = compileTriggers(parseTriggerSet({ triggers: [{ id: 'no_login', kind: 'absence', events: ['login'], days: 45, consider: { families: ['retention'] }, oncePer: '30d' }] }));

let seq = 0;
function stored(customerId: string, type: string, payload: Record<string, unknown>, at: number): StoredEvent {
  seq++;
  const event = BankEvent.parse({ eventId: `e${seq}`, customerId, occurredAt: new Date(at).toISOString(), schemaVersion: 1, type, payload });
  return { seq, t: at, recordedAt: at, event };
}

/** A scripted engine around the consumer: readings set by the test, decisioning that chooses only on some channels. */
function rig(triggers: CompiledTrigger[], opts: { choosesOn?: string[]; fires?: FireLog } = {}) {
  const readings = new Map<string, Readings>();
  const requests: TriggerDecisionRequest[] = [];
  const fires = opts.fires ?? makeFires();
  const consumer = new TriggerConsumer({
    fires,
    triggers: () => triggers,
    readings: async (id) => readings.get(id) ?? { profile: {}, scores: {} },
    customer: async () => ({ preferredChannel: 'push', view: {} }),
    decide: async (r) => {
      requests.push(r);
      return { decisionId: `d${requests.length}`, chosen: (opts.choosesOn ?? ['push']).includes(r.channel) ? [{ actionId: 'ts_invest_balanced' }] : [] };
    },
  });
  return { consumer, readings, requests, fires };
}

const deposit = (c: string, pounds: number, at = T0) => stored(c, 'deposit', { amount: { minor: pounds * 100, currency: 'GBP' } }, at);

const stores: [string, () => FireLog][] = [
  ['memory', () => new MemoryFireLog()],
  ['sqlite', () => new SqliteFireLog(openSqlite(':memory:'))],
];
let makeFires: () => FireLog = stores[0]![1];

describe.each(stores)('trigger consumer (%s fire log)', (_name, make) => {
  beforeEach(() => {
    makeFires = make;
  });

  it('a large deposit asks for a decision on the preferred channel, falling back when nothing is chosen there', async () => {
    const { consumer, requests, fires } = rig(shipped, { choosesOn: ['in_app'] });
    await consumer.open();
    await consumer.apply([deposit('c1', 50_000), deposit('c2', 10)]);
    expect(requests.map((r) => [r.customerId, r.channel])).toEqual([['c1', 'push'], ['c1', 'in_app']]);
    expect(requests[0]!.consider.families).toEqual(['investment', 'savings']);
    const [rec] = await fires.forCustomer('c1');
    expect(rec!.outcome).toEqual({ status: 'decided', decisionId: 'd2', channel: 'in_app', actionIds: ['ts_invest_balanced'] });
    expect(await fires.checkpoint()).toBe(seq);
  });

  it('replaying the same events after a crash decides nothing twice', async () => {
    const { consumer, requests } = rig(shipped);
    const batch = [deposit('c1', 70_000)];
    await consumer.apply(batch);
    await consumer.apply(batch);
    expect(requests).toHaveLength(1);
  });

  it('a fire left pending by a crash is decided on open, with the same request id', async () => {
    const fires = makeFires();
    const first = rig(shipped, { fires });
    const e = deposit('c1', 90_000);
    // The crash: claimed, never decided.
    await fires.claim({ fireId: `large_deposit_investment:${e.event.eventId}`, triggerId: 'large_deposit_investment', kind: 'event', customerId: 'c1', eventId: e.event.eventId, at: e.t, priority: 100, consider: { actions: [], families: ['investment'] }, channels: ['push'], reason: 'deposit event' });
    await first.consumer.open();
    expect(first.requests.map((r) => r.requestId)).toEqual([`large_deposit_investment:${e.event.eventId}:push`]);
    await first.consumer.apply([e]);
    expect(first.requests).toHaveLength(1);
  });

  it('a threshold crossing is seen across batches, once', async () => {
    const { consumer, readings, requests } = rig(shipped);
    readings.set('c1', { profile: { logins_trend_30d: 1 }, scores: { financial_stress: 0 } });
    await consumer.apply([stored('c1', 'login', { channel: 'web' }, T0)]);
    expect(requests).toHaveLength(0);
    readings.set('c1', { profile: { logins_trend_30d: 1 }, scores: { financial_stress: 1 } });
    await consumer.apply([stored('c1', 'card_payment', { amount: { minor: -100, currency: 'GBP' }, merchantCategoryCode: '5411' }, T0 + DAY)]);
    expect(requests.map((r) => r.context.trigger)).toEqual(['financial_stress_refinancing']);
    await consumer.apply([stored('c1', 'card_payment', { amount: { minor: -100, currency: 'GBP' }, merchantCategoryCode: '5411' }, T0 + 2 * DAY)]);
    expect(requests).toHaveLength(1);
  });

  it('in one batch, only the customer\'s last event checks thresholds (one crossing, one decision)', async () => {
    const { consumer, readings, requests } = rig(shipped);
    readings.set('c1', { profile: { logins_trend_30d: 0.2 }, scores: {} });
    await consumer.apply([stored('c1', 'login', { channel: 'web' }, T0), stored('c1', 'login', { channel: 'web' }, T0 + 1000)]);
    expect(requests.map((r) => r.context.trigger)).toEqual(['declining_activity_retention']);
  });

  it('the clock sweep fires an absence once per quiet spell; erasure forgets the customer', async () => {
    const { consumer, requests, fires } = rig(absence);
    await consumer.apply([stored('c1', 'login', { channel: 'web' }, T0), stored('c2', 'login', { channel: 'web' }, T0 + 40 * DAY)]);
    expect(await consumer.sweep(T0 + 44 * DAY)).toEqual([]);
    expect((await consumer.sweep(T0 + 46 * DAY)).map((f) => f.customerId)).toEqual(['c1']);
    expect(await consumer.sweep(T0 + 47 * DAY)).toEqual([]);
    expect(requests.map((r) => r.customerId)).toEqual(['c1']);
    await consumer.erase('c1');
    expect(await fires.forCustomer('c1')).toEqual([]);
    expect(await fires.watchedCustomers()).toEqual(['c2']);
  });
});

describe('trigger state survives a restart (SQLite file)', () => {
  it('a reopened consumer keeps its checkpoint, its fires and the readings thresholds compare with', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const path = join(mkdtempSync(join(tmpdir(), 'nb-fires-')), 'triggers.db');
    let db = openSqlite(path);
    const first = rig(shipped, { fires: new SqliteFireLog(db) });
    first.readings.set('c1', { profile: { logins_trend_30d: 0.9 }, scores: { financial_stress: 0 } });
    const batch = [deposit('c1', 75_000)];
    await first.consumer.apply(batch);
    expect(first.requests).toHaveLength(1);
    db.close();
    db = openSqlite(path);
    const second = rig(shipped, { fires: new SqliteFireLog(db) });
    expect(await second.consumer.open()).toBe(batch[0]!.seq);
    await second.consumer.apply(batch);
    expect(second.requests).toHaveLength(0);
    // The readings before the restart are the "before" after it: a crossing now is seen.
    second.readings.set('c1', { profile: { logins_trend_30d: 0.3 }, scores: { financial_stress: 0 } });
    await second.consumer.apply([stored('c1', 'login', { channel: 'web' }, T0 + DAY)]);
    expect(second.requests.map((r) => r.context.trigger)).toEqual(['declining_activity_retention']);
    expect((await new SqliteFireLog(db).forCustomer('c1')).map((r) => r.outcome.status)).toEqual(['decided', 'decided']);
    db.close();
  });
});

describe('trigger consumer waits for the features consumer', () => {
  it('reads no profile before the features consumer reached the batch; a lag fails the batch for a retry', async () => {
    const order: string[] = [];
    let lagging = true;
    const consumer = new TriggerConsumer({
      fires: new MemoryFireLog(),
      triggers: () => shipped,
      readings: async () => (order.push('read'), { profile: {}, scores: {} }),
      customer: async () => ({ preferredChannel: 'push', view: {} }),
      decide: async () => ({ decisionId: 'd', chosen: [] }),
      afterFeatures: async (seq) => {
        order.push(`wait ${seq}`);
        if (lagging) throw new Error('features behind');
      },
    });
    const e = deposit('c1', 10);
    await expect(consumer.apply([e])).rejects.toThrow('features behind');
    expect(order).toEqual([`wait ${e.seq}`]);
    lagging = false;
    await consumer.apply([e]);
    expect(order).toEqual([`wait ${e.seq}`, `wait ${e.seq}`, 'read']);
  });
});

describe('the readings follow the trigger set (only what it reads is computed and kept)', () => {
  const card = (c: string, at: number) => stored(c, 'card_payment', { amount: { minor: -100, currency: 'GBP' }, merchantCategoryCode: '5411' }, at);
  const threshold = (id: string, measure: string, below: number, condition?: string) => ({
    id,
    kind: 'threshold' as const,
    measure,
    below,
    ...(condition ? { condition } : {}),
    consider: { families: ['retention'] },
    oncePer: '30d',
  });

  /** A consumer whose readings come from a full map and which records the keys it was asked for and the customers it read. */
  function following(initial: CompiledTrigger[], fires: FireLog) {
    let triggers = initial;
    const asked: string[] = [];
    const customersRead: string[] = [];
    const full = new Map<string, Readings>();
    const requests: TriggerDecisionRequest[] = [];
    const consumer = new TriggerConsumer({
      fires,
      triggers: () => triggers,
      readings: async (id, keys) => {
        asked.push(`${keys.profile === 'all' ? 'all' : [...keys.profile].sort().join(',')}|${keys.scores === 'all' ? 'all' : [...keys.scores].sort().join(',')}`);
        return full.get(id) ?? { profile: {}, scores: {} };
      },
      customer: async (id) => (customersRead.push(id), { preferredChannel: 'push', view: {} }),
      decide: async (r) => (requests.push(r), { decisionId: `d${requests.length}`, chosen: [{ actionId: 'a' }] }),
    });
    return { consumer, asked, customersRead, full, requests, set: (t: CompiledTrigger[]) => (triggers = t) };
  }

  it.each(stores)('keeps only the keys its thresholds and conditions read, and follows an edit to a new key (%s)', async (_n, make) => {
    const fires = make();
    const a = compileTriggers(parseTriggerSet({ triggers: [threshold('low_balance', 'profile.balance', 100, 'context.before.scores.churn_risk < 0.5 || profile.age > 0.0')] }));
    const rig = following(a, fires);
    const all = { profile: { balance: 500, age: 40, spend: 7, logins: 3 }, scores: { churn_risk: 0.1, financial_stress: 0 } };
    rig.full.set('c1', all);
    await rig.consumer.apply([card('c1', T0)]);
    expect(rig.asked).toEqual(['age,balance|churn_risk']);
    expect(await fires.lastReadings('c1')).toEqual({ profile: { balance: 500, age: 40 }, scores: { churn_risk: 0.1 }, kept: { profile: ['age', 'balance'], scores: ['churn_risk'] } });
    // The balance falls past the level: a crossing against the kept reading.
    rig.full.set('c1', { ...all, profile: { ...all.profile, balance: 50, spend: 1 } });
    await rig.consumer.apply([card('c1', T0 + DAY)]);
    expect(rig.requests.map((r) => r.context.trigger)).toEqual(['low_balance']);
    // An edit adds a threshold on `spend`, which no trigger read: the next batch asks for it and keeps it.
    rig.set(compileTriggers(parseTriggerSet({ triggers: [threshold('low_balance', 'profile.balance', 100), threshold('low_spend', 'profile.spend', 5)] })));
    await rig.consumer.apply([card('c1', T0 + 2 * DAY)]);
    expect(rig.asked.at(-1)).toBe('balance,spend|');
    expect(await fires.lastReadings('c1')).toEqual({ profile: { balance: 50, spend: 1 }, scores: {}, kept: { profile: ['balance', 'spend'], scores: [] } });
    // spend was already past its level with no reading kept: the new trigger starts watching (no fire for a customer already there) ...
    expect(rig.requests.map((r) => r.context.trigger)).toEqual(['low_balance']);
    // ... and fires on its next crossing.
    rig.full.set('c1', { ...all, profile: { ...all.profile, balance: 50, spend: 9 } });
    await rig.consumer.apply([card('c1', T0 + 3 * DAY)]);
    rig.full.set('c1', { ...all, profile: { ...all.profile, balance: 50, spend: 2 } });
    await rig.consumer.apply([card('c1', T0 + 4 * DAY)]);
    expect(rig.requests.map((r) => r.context.trigger)).toEqual(['low_balance', 'low_spend']);
    // A customer seen for the first time has no "before": a first reading past the level is a crossing, as it always was.
    rig.full.set('c2', { ...all, profile: { ...all.profile, spend: 1 } });
    await rig.consumer.apply([card('c2', T0 + 4 * DAY)]);
    expect(rig.requests.map((r) => `${r.context.trigger} ${r.customerId}`)).toEqual(['low_balance c1', 'low_spend c1', 'low_spend c2']);
  });

  it('readings kept in full before this change (no `kept` mark) are the "before" as they are', async () => {
    const fires = new MemoryFireLog();
    await fires.saveReadings('c1', { profile: { balance: 500, spend: 1 }, scores: {} });
    const rig = following(compileTriggers(parseTriggerSet({ triggers: [threshold('low_spend', 'profile.spend', 5)] })), fires);
    rig.full.set('c1', { profile: { balance: 500, spend: 2 }, scores: {} });
    await rig.consumer.apply([card('c1', T0)]);
    expect(rig.requests).toHaveLength(0);
  });

  it('reads neither the customer nor their fires when no trigger pattern matches', async () => {
    const fires = new MemoryFireLog();
    const rig = following(shipped, fires);
    let firesRead = 0;
    const forCustomer = fires.forCustomer.bind(fires);
    fires.forCustomer = async (id) => (firesRead++, forCustomer(id));
    rig.full.set('c1', { profile: { logins_trend_30d: 1 }, scores: { financial_stress: 0 } });
    await rig.consumer.apply([card('c1', T0), stored('c1', 'login', { channel: 'web' }, T0 + 1), card('c2', T0 + 2), deposit('c3', 10, T0 + 3)]);
    await rig.consumer.apply([card('c1', T0 + DAY)]);
    // Only the deposit matched a pattern (its condition then held it back): one customer read, no fire.
    expect(rig.customersRead).toEqual(['c3']);
    expect(firesRead).toBe(1);
    expect(rig.requests).toHaveLength(0);
    rig.full.set('c1', { profile: { logins_trend_30d: 0.2 }, scores: { financial_stress: 0 } });
    await rig.consumer.apply([card('c1', T0 + 2 * DAY)]);
    expect(rig.customersRead).toEqual(['c3', 'c1']);
    expect(rig.requests.map((r) => r.context.trigger)).toEqual(['declining_activity_retention']);
  });

  it('reads the facts of every matched customer of a batch at once, and still decides in log order with earlier fires counted', async () => {
    const fires = new MemoryFireLog();
    const batches: string[][] = [];
    const requests: TriggerDecisionRequest[] = [];
    const consumer = new TriggerConsumer({
      fires,
      triggers: () => shipped,
      readings: async () => ({ profile: {}, scores: {} }),
      customer: async () => {
        throw new Error('read one by one');
      },
      customers: async (ids) => (batches.push([...ids]), new Map(ids.map((id) => [id, { preferredChannel: id === 'c2' ? ('email' as const) : ('push' as const), view: {} }]))),
      decide: async (r) => (requests.push(r), { decisionId: `d${requests.length}`, chosen: [{ actionId: 'ts_invest_balanced' }] }),
    });
    // Two large deposits of c1 in one batch: the second is held back by the first's fire (once per period).
    await consumer.apply([deposit('c1', 50_000, T0), card('c9', T0 + 1), deposit('c2', 60_000, T0 + 2), deposit('c1', 70_000, T0 + 3), deposit('c3', 10, T0 + 4)]);
    expect(batches).toEqual([['c1', 'c2', 'c3']]);
    expect(requests.map((r) => [r.customerId, r.channel])).toEqual([['c1', 'push'], ['c2', 'email']]);
    expect((await fires.forCustomer('c1')).length).toBe(1);
  });
});
