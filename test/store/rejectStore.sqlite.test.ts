import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteRejectStore } from '../../src/store/sqlite/rejectStore.js';
import { rejectStoreContract } from './rejectStore.contract.js';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'nb-rej-')), 'db.sqlite');

rejectStoreContract('sqlite', async () => new SqliteRejectStore(openSqlite(dbPath())));

describe('SqliteRejectStore migration', () => {
  it('keeps the items and ids of a quarantine written before ids were made unique for good', async () => {
    const path = dbPath();
    const db = openSqlite(path);
    db.prepare("INSERT INTO rejects (id, received_at, source, event_id, customer_id, issues, raw) VALUES (7, 1, 'http', 'e7', 'c1', '[]', '{}')").run();
    const store = new SqliteRejectStore(db);
    expect(await store.list({ limit: 10 })).toEqual([{ id: 7, receivedAt: 1, source: 'http', eventId: 'e7', customerId: 'c1', issues: [], raw: '{}' }]);
    await store.eraseCustomer('c1');
    await store.addMany([{ receivedAt: 2, source: 'http', eventId: null, customerId: null, issues: [], raw: 'x' }]);
    expect((await store.list({ limit: 1 }))[0]!.id).toBe(8);
    await store.close();
    const reopened = new SqliteRejectStore(openSqlite(path));
    expect(await reopened.count()).toBe(1);
    await reopened.close();
  });
});
