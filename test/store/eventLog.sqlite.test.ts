import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteEventLog } from '../../src/store/sqlite/eventLog.js';
import { eventLogContract } from './eventLog.contract.js';

eventLogContract('sqlite', async () => new SqliteEventLog(openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-log-')), 'db.sqlite'))));
