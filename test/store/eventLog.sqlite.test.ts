import { describe, expect, it } from 'vitest';
import type { BankEvent } from '../../src/core/events.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteEventLog } from '../../src/store/sqlite/eventLog.js';
import { eventLogContract } from './eventLog.contract.js';

eventLogContract('sqlite', async () => new SqliteEventLog(openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-log-')), 'db.sqlite'))));

describe('sqlite bodyPages', () => {
  const events = (n: number) => Array.from({ length: n }, (_, k) => ({ eventId: `e${k}`, customerId: `c${k % 7}`, occurredAt: new Date(Date.UTC(2026, 0, 1) + ((k * 7919) % n) * 1000).toISOString(), schemaVersion: 1, type: 'login', payload: { channel: k % 2 ? 'web' : 'mobile_app' } }) as BankEvent);
  /** What readAfter gives from `after` to the end, as pages of bodies would hold it. */
  const expected = async (log: SqliteEventLog, after: number) => (await log.readAfter(after, 1e9)).map((e) => [e.seq, e.t, JSON.stringify(e.event)]);
  const flat = async (pages: AsyncIterable<{ seq: Float64Array; t: Float64Array; bodies: string[] }>, sizes: number[]) => {
    const out: unknown[] = [];
    for await (const p of pages) {
      sizes.push(p.bodies.length);
      p.bodies.forEach((b, i) => out.push([p.seq[i], p.t[i], b]));
    }
    return out;
  };

  it('gives what readAfter gives, unparsed, in position order: read ahead on a worker for a file, on the connection in memory', async () => {
    for (const path of [join(mkdtempSync(join(tmpdir(), 'nb-log-')), 'db.sqlite'), ':memory:']) {
      const log = new SqliteEventLog(openSqlite(path));
      const list = events(2500);
      await log.appendMany(list.map((e) => ({ event: e, body: JSON.stringify(e), t: Date.parse(e.occurredAt) })), 5);
      for (const [after, size] of [[0, 1000], [1, 1000], [500, 250], [2000, 500], [2499, 10], [2500, 10], [0, 5000]] as const) {
        const sizes: number[] = [];
        expect(await flat(log.bodyPages(after, size), sizes), `${path} ${after} ${size}`).toEqual(await expected(log, after));
        expect(sizes.every((n) => n <= size)).toBe(true);
      }
      // A reader left early stops its worker; the log reads on.
      for await (const p of log.bodyPages(0, 100)) if (p.bodies.length > 0) break;
      expect((await flat(log.bodyPages(2400, 30), [])).length).toBe(100);
      await log.close();
    }
  });
});

describe('sqlite consent changes served from memory', () => {
  const consent = (id: string, c: string, at: string, granted: boolean): BankEvent => ({ eventId: id, customerId: c, occurredAt: at, schemaVersion: 1, type: 'consent_change', payload: { purpose: 'marketing', granted } }) as BankEvent;
  const item = (e: BankEvent) => ({ event: e, body: JSON.stringify(e), t: Date.parse(e.occurredAt) });
  /** The file's answer, read past the memory (any other query shape reads the file). */
  const fromFile = (log: SqliteEventLog, c: string) => log.readCustomer(c, { types: ['consent_change'], fromT: 0 });
  const read = (log: SqliteEventLog, c: string) => log.readCustomer(c, { types: ['consent_change'] });

  it('gives what the file holds after appends, an erasure and a purge, and its events cannot be changed by a reader', async () => {
    const log = new SqliteEventLog(openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-log-')), 'db.sqlite')));
    expect(await read(log, 'c1')).toEqual([]); // kept as none
    await log.appendMany([item(consent('a', 'c1', '2026-01-01T00:00:00Z', true)), item({ eventId: 'l', customerId: 'c1', occurredAt: '2026-01-01T00:00:01Z', schemaVersion: 1, type: 'login', payload: { channel: 'web' } } as BankEvent)], 5);
    expect(await read(log, 'c1')).toEqual(await fromFile(log, 'c1'));
    expect((await read(log, 'c1')).map((e) => e.event.eventId)).toEqual(['a']);
    await log.appendMany([item(consent('b', 'c1', '2025-12-31T00:00:00Z', false)), item(consent('c', 'c2', '2026-01-02T00:00:00Z', true))], 6);
    expect((await read(log, 'c1')).map((e) => e.event.eventId)).toEqual(['b', 'a']); // time order, as the file gives it
    expect(await read(log, 'c2')).toEqual(await fromFile(log, 'c2'));
    // A reader gets its own array; the events are shared and frozen.
    const got = await read(log, 'c1');
    got.pop();
    expect((await read(log, 'c1')).length).toBe(2);
    expect(() => {
      (got[0]!.event as { customerId: string }).customerId = 'x';
    }).toThrow(TypeError);
    await log.eraseCustomer('c1');
    expect(await read(log, 'c1')).toEqual([]);
    expect(await read(log, 'c2')).toHaveLength(1);
    await log.purgeType('consent_change', Date.parse('2026-02-01T00:00:00Z'));
    expect(await read(log, 'c2')).toEqual([]);
    await log.close();
  });
});
