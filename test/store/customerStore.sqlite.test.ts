import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { Customer } from '../../src/core/customer.js';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteCustomerStore } from '../../src/store/sqlite/customerStore.js';
import { customerStoreContract } from './customerStore.contract.js';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'nb-cust-')), 'db.sqlite');

customerStoreContract('sqlite', async () => new SqliteCustomerStore(openSqlite(dbPath())));
// A cache of one record: every read past the first is evicted and read again from the file.
customerStoreContract('sqlite, tiny cache', async () => new SqliteCustomerStore(openSqlite(dbPath()), { cacheSize: 1 }));

describe('SqliteCustomerStore on reopen', () => {
  const tombstoneKey = Buffer.alloc(32, 7);

  it('keeps records and tombstones (under the same key)', async () => {
    const path = dbPath();
    const a = new SqliteCustomerStore(openSqlite(path), { tombstoneKey });
    await a.upsertMany([Customer.parse({ customerId: 'c1' }), Customer.parse({ customerId: 'c2' })], 1);
    await a.erase('c1', 2);
    await a.close();
    const b = new SqliteCustomerStore(openSqlite(path), { tombstoneKey });
    expect(await b.getMany(['c1', 'c2'])).toEqual([undefined, Customer.parse({ customerId: 'c2' })]);
    expect(await b.erasedAmong(['c1', 'c2'])).toEqual(new Set(['c1']));
    await b.close();
  });

  it('keeps a keyed hash, not the id: the erased id is nowhere in the file', async () => {
    const path = dbPath();
    const id = 'erase-me-7f3a9c';
    const db = openSqlite(path);
    const a = new SqliteCustomerStore(db, { tombstoneKey });
    await a.upsertMany([Customer.parse({ customerId: id, attributes: { nickname: 'Zebedee Quux' } })], 1);
    db.pragma('wal_checkpoint(TRUNCATE)');
    await a.erase(id, 2);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(await a.erasedAmong([id])).toEqual(new Set([id]));
    await a.close();
    for (const f of [path, `${path}-wal`]) {
      if (!existsSync(f)) continue;
      const bytes = readFileSync(f);
      expect(bytes.includes(Buffer.from(id)), `${f} holds the id`).toBe(false);
      expect(bytes.includes(Buffer.from('Zebedee Quux')), `${f} holds the name`).toBe(false);
    }
  });

  it('hashes tombstones written with raw ids by an older version, and drops the ids', async () => {
    const path = dbPath();
    const db = openSqlite(path);
    db.prepare('INSERT INTO erased_customers (customer_id, erased_at) VALUES (?, ?)').run('old-erased', 1);
    const store = new SqliteCustomerStore(db, { tombstoneKey });
    expect(await store.erasedAmong(['old-erased', 'other'])).toEqual(new Set(['old-erased']));
    expect(db.prepare('SELECT count(*) AS n FROM erased_customers').get()).toEqual({ n: 0 });
    await store.close();
  });
});
