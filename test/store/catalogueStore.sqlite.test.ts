import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteCatalogueStore } from '../../src/store/sqlite/catalogueStore.js';
import { catalogueStoreContract } from './catalogueStore.contract.js';

catalogueStoreContract('sqlite', async () => new SqliteCatalogueStore(openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-cat-')), 'db.sqlite'))));

describe('SqliteCatalogueStore across connections', () => {
  it('two connections to one file (two processes) share current, and the stale one loses its compare-and-set', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-cat-')), 'db.sqlite');
    const a = new SqliteCatalogueStore(openSqlite(path));
    const b = new SqliteCatalogueStore(openSqlite(path));
    await a.commit({ version: 'v1', catalogue: { n: 1 }, createdAt: 1, author: null, source: 'config' }, null);
    expect(await b.currentVersion()).toBe('v1');
    await b.commit({ version: 'v2', catalogue: { n: 2 }, createdAt: 2, author: null, source: 'api' }, 'v1');
    await expect(a.commit({ version: 'v3', catalogue: { n: 3 }, createdAt: 3, author: null, source: 'api' }, 'v1')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await a.currentVersion()).toBe('v2');
    expect((await a.get('v2'))!.catalogue).toEqual({ n: 2 });
    await a.close();
    await b.close();
  });
});
