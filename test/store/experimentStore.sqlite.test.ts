import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteExperimentStore } from '../../src/store/sqlite/experimentStore.js';
import { experimentStoreContract } from './experimentStore.contract.js';

experimentStoreContract('sqlite', async () => new SqliteExperimentStore(openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-exp-')), 'db.sqlite'))));

describe('SqliteExperimentStore across connections', () => {
  it('two connections to one file see each other, and the stale one loses its compare-and-set', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-exp-')), 'db.sqlite');
    const a = new SqliteExperimentStore(openSqlite(path, { shared: true }));
    const b = new SqliteExperimentStore(openSqlite(path, { shared: true }));
    await a.put('e', { n: 1 }, 0, 1);
    await b.put('e', { n: 2 }, 1, 2);
    await expect(a.put('e', { n: 3 }, 1, 3)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await a.get('e'))!.definition).toEqual({ n: 2 });
    await a.close();
    await b.close();
  });
});
