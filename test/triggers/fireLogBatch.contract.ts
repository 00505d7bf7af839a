import { expect, it } from 'vitest';
import type { FireLog, Readings } from '../../src/triggers/index.js';

const readings = (balance: number): Readings => ({ profile: { balance }, scores: {} });

/**
 * The batch methods of every fire log (memory, SQLite, PostgreSQL): a batch's readings and
 * seen times written at once read back as the single-customer methods read them, a later seen
 * time wins over an earlier one from either side, and erasure leaves nothing of a customer
 * that a later checkpoint could write back.
 */
export function fireLogBatchContract(make: () => FireLog | Promise<FireLog>): void {
  it('lastReadingsMany reads what saveMany and saveReadings wrote, for the customers asked, and none for the rest', async () => {
    const log = await make();
    expect(await log.lastReadingsMany([])).toEqual(new Map());
    expect(await log.lastReadingsMany(['a', 'b'])).toEqual(new Map());
    await log.saveReadings('a', readings(1));
    await log.saveMany({ readings: new Map([['b', readings(2)], ['c', { profile: { x: null, y: -1.5 }, scores: { s: 0.5 }, kept: { profile: ['x', 'y'], scores: ['s'] } }]]), seen: new Map() });
    await log.saveCheckpoint(1);
    const many = await log.lastReadingsMany(['a', 'b', 'c', 'd', 'b']);
    expect([...many.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) expect(many.get(id)).toEqual(await log.lastReadings(id));
    expect(many.get('c')).toEqual({ profile: { x: null, y: -1.5 }, scores: { s: 0.5 }, kept: { profile: ['x', 'y'], scores: ['s'] } });
    // A later batch replaces a customer's readings.
    await log.saveMany({ readings: new Map([['a', readings(10)]]), seen: new Map() });
    expect((await log.lastReadingsMany(['a'])).get('a')).toEqual(readings(10));
  });

  it('forCustomers reads each customer\'s fires as forCustomer does, oldest first, and an empty list for one with none', async () => {
    const log = await make();
    expect(await log.forCustomers([])).toEqual(new Map());
    const fire = (customerId: string, eventId: string, at: number) => ({ fireId: `t:${eventId}`, triggerId: 't', kind: 'event' as const, customerId, eventId, at, priority: 1, consider: { actions: [], families: ['savings'] }, channels: ['push' as const], reason: 'test' });
    // Claimed out of time order, and across customers.
    for (const f of [fire('a', 'e2', 2_000), fire('b', 'e3', 1_500), fire('a', 'e1', 1_000), fire('a', 'e4', 3_000)]) expect(await log.claim(f)).toBe(true);
    await log.settle('t:e1', { status: 'nothing_chosen', decisionIds: ['d1'] });
    const many = await log.forCustomers(['a', 'b', 'c', 'a']);
    expect([...many.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) expect(many.get(id), id).toEqual(await log.forCustomer(id));
    expect(many.get('a')!.map((r) => r.fire.eventId)).toEqual(['e1', 'e2', 'e4']);
    expect(many.get('c')).toEqual([]);
  });

  it('saveMany keeps the later of a seen time already stored and the batch\'s, per event type', async () => {
    const log = await make();
    await log.saveSeen('a', 'login', 5_000);
    await log.saveCheckpoint(1);
    await log.saveMany({ readings: new Map(), seen: new Map([['a', { login: 1_000, card_payment: 7_000 }], ['b', { login: 3_000 }]]) });
    await log.saveCheckpoint(2);
    expect(await log.lastSeen('a')).toEqual({ login: 5_000, card_payment: 7_000 });
    expect(await log.lastSeen('b')).toEqual({ login: 3_000 });
    await log.saveMany({ readings: new Map([['b', readings(1)]]), seen: new Map([['b', { login: 9_000 }]]) });
    expect(await log.lastSeen('b')).toEqual({ login: 9_000 });
    expect(await log.watchedCustomers()).toEqual(['a', 'b']);
    // Nothing to write is no write and no error.
    await log.saveMany({ readings: new Map(), seen: new Map() });
  });

  it('erasure removes a batch\'s readings and seen times, checkpointed or not, and a later checkpoint writes nothing of them back', async () => {
    const log = await make();
    await log.saveMany({ readings: new Map([['gone', readings(1)], ['kept', readings(2)]]), seen: new Map([['gone', { login: 1 }], ['kept', { login: 2 }]]) });
    await log.saveCheckpoint(1);
    // A second batch, not yet checkpointed (the SQLite log holds it in memory until then).
    await log.saveMany({ readings: new Map([['gone', readings(3)]]), seen: new Map([['gone', { card_payment: 4 }]]) });
    await log.erase('gone');
    await log.saveCheckpoint(2);
    expect(await log.lastReadingsMany(['gone', 'kept'])).toEqual(new Map([['kept', readings(2)]]));
    expect(await log.lastReadings('gone')).toBeUndefined();
    expect(await log.lastSeen('gone')).toEqual({});
    expect(await log.watchedCustomers()).toEqual(['kept']);
  });
}
