import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteOutbox } from '../../src/store/sqlite/outbox.js';
import { entryFor, outboxContract } from './outbox.contract.js';

outboxContract('sqlite', async () => new SqliteOutbox(openSqlite(':memory:')));

describe('SqliteOutbox', () => {
  it('two connections (two dispatcher processes) never lease the same entry', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-outbox-')), 'db.sqlite');
    const dbA = openSqlite(path, { shared: true });
    const dbB = openSqlite(path, { shared: true });
    const a = new SqliteOutbox(dbA);
    const b = new SqliteOutbox(dbB);
    await a.enqueue(Array.from({ length: 50 }, (_, i) => entryFor(`d${i}`)));
    const req = { channels: ['push'], now: 1_700_000_000_000, leaseMs: 60_000, limit: 7 };
    const taken: string[] = [];
    for (let i = 0; i < 8; i++) taken.push(...(await (i % 2 ? a : b).lease({ ...req, by: i % 2 ? 'A' : 'B' })).map((e) => e.key));
    expect(taken).toHaveLength(50);
    expect(new Set(taken).size).toBe(50);
    dbA.close();
    dbB.close();
  });

  it('enqueueIn joins the caller\'s transaction: a rolled-back contact leaves no entry', () => {
    const db = openSqlite(':memory:');
    const box = new SqliteOutbox(db);
    const tx = db.transaction(() => {
      box.enqueueIn([entryFor('x')]);
      throw new Error('contact refused');
    });
    expect(() => tx()).toThrow('contact refused');
    expect(db.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual({ n: 0 });
  });
});
