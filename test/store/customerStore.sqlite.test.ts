import { mkdtempSync } from 'node:fs';
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
  it('keeps records and tombstones', async () => {
    const path = dbPath();
    const a = new SqliteCustomerStore(openSqlite(path));
    await a.upsertMany([Customer.parse({ customerId: 'c1' }), Customer.parse({ customerId: 'c2' })], 1);
    await a.erase('c1', 2);
    await a.close();
    const b = new SqliteCustomerStore(openSqlite(path));
    expect(await b.getMany(['c1', 'c2'])).toEqual([undefined, Customer.parse({ customerId: 'c2' })]);
    expect(await b.erasedAmong(['c1', 'c2'])).toEqual(new Set(['c1']));
    await b.close();
  });
});
