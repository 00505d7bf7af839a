import { describe, it, expect } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine } from '../../src/engine.js';

const T0 = '2026-03-02T12:00:00Z';
const login = (id: string, customerId = 'k1') => ({ eventId: id, customerId, type: 'login', occurredAt: '2026-03-02T11:00:00Z', schemaVersion: 1, payload: { channel: 'web' } });
const bad = { eventId: 'bad', customerId: 'k1', type: 'login', occurredAt: 'yesterday', schemaVersion: 1, payload: { channel: 'web' } };
const open = () => createEngine({ store: 'memory', log: { level: 'silent' } }, { clock: new ManualClock(T0) });
const strip = (r: Awaited<ReturnType<Awaited<ReturnType<typeof open>>['ingest']>>) => ({ ...r, stored: r.stored.map((s) => [s.seq, s.event.eventId]) });

describe('engine: group commit', () => {
  it('concurrent ingests share one append, and each caller gets the report it would have had alone', async () => {
    const calls = [[login('a'), login('b'), bad], [login('b'), login('c')], [login('a', 'k1'), login('d', 'k2')]];
    const grouped = await open();
    const log = grouped.stores.eventLog;
    const append = log.appendMany.bind(log);
    let appends = 0;
    log.appendMany = (...args) => (appends++, append(...args));
    const together = await Promise.all(calls.map((c) => grouped.ingest(c)));
    expect(appends).toBe(1);
    const alone = await open();
    const oneByOne = [];
    for (const c of calls) oneByOne.push(await alone.ingest(c));
    expect(together.map(strip)).toEqual(oneByOne.map(strip));
    expect(together.map((r) => [r.accepted, r.duplicates, r.rejected])).toEqual([
      [2, 0, 1],
      [1, 1, 0],
      [1, 1, 0],
    ]);
    expect((await grouped.profile('k2')).latestEventAt).toBe('2026-03-02T11:00:00.000Z');
    await grouped.close();
    await alone.close();
  });

  it('an erasure between two ingests keeps their order: what is sent after it is refused', async () => {
    const engine = await open();
    await engine.upsertCustomers([{ customerId: 'x', dateOfBirth: '1980-05-01' }]);
    const [before, erased, after] = await Promise.all([engine.ingest([login('x1', 'x')]), engine.eraseCustomer('x'), engine.ingest([login('x2', 'x')])]);
    expect(before.accepted).toBe(1);
    expect(erased.events).toBe(1);
    expect(after.results[0]).toMatchObject({ status: 'rejected', issues: [expect.objectContaining({ rule: 'erased_customer' })] });
    expect(await engine.customerEvents('x')).toEqual([]);
    await engine.close();
  });
});
