import { describe } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { MemoryFireLog, SqliteFireLog } from '../../src/triggers/index.js';
import { fireLogBatchContract } from './fireLogBatch.contract.js';

describe('memory fire log: batch readings and seen times', () => fireLogBatchContract(() => new MemoryFireLog()));
describe('SQLite fire log: batch readings and seen times', () => fireLogBatchContract(() => new SqliteFireLog(openSqlite(':memory:'))));
