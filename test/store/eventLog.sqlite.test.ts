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
