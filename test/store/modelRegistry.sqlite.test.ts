import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteModelRegistry } from '../../src/store/sqlite/modelRegistry.js';
import { modelRegistryContract, newModel } from './modelRegistry.contract.js';

modelRegistryContract('sqlite', async () => new SqliteModelRegistry(openSqlite(':memory:')));

describe('SqliteModelRegistry on disk', () => {
  it('keeps models, stages and lineage across a reopen', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-reg-')), 'db.sqlite');
    const db = openSqlite(path);
    const reg = new SqliteModelRegistry(db);
    await reg.register(newModel('propensity', 1));
    await reg.register(newModel('propensity', 2));
    await reg.promote('propensity@1', '2026-02-01T00:00:00.000Z');
    await reg.promote('propensity@2', '2026-02-02T00:00:00.000Z');
    db.close();
    const again = new SqliteModelRegistry(openSqlite(path));
    expect((await again.champion('propensity'))?.id).toBe('propensity@2');
    expect((await again.get('propensity@1'))?.artefact).toEqual(newModel('propensity', 1).artefact);
    expect((await again.rollback('propensity', '2026-02-03T00:00:00.000Z')).champion.id).toBe('propensity@1');
  });
});
