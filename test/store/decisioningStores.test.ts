import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { MemoryContactStore } from '../../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../../src/store/memory/decisionLog.js';
import { SqliteContactStore } from '../../src/store/sqlite/contactStore.js';
import { SqliteDecisionLog } from '../../src/store/sqlite/decisionLog.js';
import { contactStoreContract } from './contactStore.contract.js';
import { decisionLogContract } from './decisionLog.contract.js';

const db = () => openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-dec-')), 'db.sqlite'));
contactStoreContract('memory', async () => new MemoryContactStore());
contactStoreContract('sqlite', async () => new SqliteContactStore(db()));
decisionLogContract('memory', async () => new MemoryDecisionLog());
decisionLogContract('sqlite', async () => new SqliteDecisionLog(db()));
