import { describe, expect, it } from 'vitest';
import type { BankEvent } from '../../src/core/events.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteEventLog } from '../../src/store/sqlite/eventLog.js';
import { eventLogContract } from './eventLog.contract.js';

eventLogContract('sqlite', async () => new SqliteEventLog(openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-log-')), 'db.sqlite'))));

describe('sqlite readBodiesAfter', () => {
  it('gives what readAfter gives, unparsed: position, time and the body as appended, in position order', async () => {
    const log = new SqliteEventLog(openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-log-')), 'db.sqlite')));
    const events = [3, 1, 2].map((k) => ({ eventId: `e${k}`, customerId: 'c1', occurredAt: `2026-01-0${k}T00:00:00Z`, schemaVersion: 1, type: 'login', payload: { channel: 'web' } }) as BankEvent);
    await log.appendMany(events.map((e) => ({ event: e, body: JSON.stringify(e), t: Date.parse(e.occurredAt) })), 5);
    const raw = await log.readBodiesAfter(1, 10);
    expect(raw).toEqual((await log.readAfter(1, 10)).map((e) => [e.seq, e.t, JSON.stringify(e.event)]));
    expect(raw.map((r) => r[0])).toEqual([2, 3]);
    expect(await log.readBodiesAfter(0, 1)).toEqual([[1, Date.parse('2026-01-03T00:00:00Z'), JSON.stringify(events[0])]]);
    await log.close();
  });
});
