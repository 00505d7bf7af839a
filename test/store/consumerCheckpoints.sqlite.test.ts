import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteConsumerCheckpoints } from '../../src/store/sqlite/consumerCheckpoints.js';
import { consumerCheckpointsContract } from './consumerCheckpoints.contract.js';

consumerCheckpointsContract('sqlite', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'nb-ckpt-')), 'db.sqlite');
  const db = openSqlite(path);
  return {
    store: new SqliteConsumerCheckpoints(db),
    reopen: async () => new SqliteConsumerCheckpoints(openSqlite(path)),
  };
});
