import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteProfileStore } from '../../src/store/sqlite/profileStore.js';
import { profileStoreContract } from './profileStore.contract.js';

profileStoreContract('sqlite', async () => new SqliteProfileStore(openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-prof-')), 'db.sqlite'))));
