import type Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { apiKeyFromRow, type ApiKeyRecord, type ApiKeyRow, type ApiKeyStore } from '../apiKeyStore.js';
import { openSqlite, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     scopes TEXT NOT NULL,
     hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER,
     revoked_at INTEGER
   );`,
];

type Row = ApiKeyRow;
const toRecord = apiKeyFromRow;

/**
 * API keys in a database file of their own (`keys.db`, mode 0600), so `nextbest keys`
 * can add and revoke keys while a server runs: the server reads the row on every request.
 */
export class SqliteApiKeyStore implements ApiKeyStore {
  private readonly db: SqliteDb;
  /** Every authenticated request reads a key: the statement is prepared once. */
  private readonly byId: Database.Statement<[string], Row>;

  constructor(path: string) {
    // Key hashes are not keys, but nobody else on the machine needs to read them. The file
    // is made 0600 before SQLite opens it, so its -wal and -shm files get the same mode.
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, '', { mode: 0o600 });
    }
    chmodSync(path, 0o600);
    this.db = openSqlite(path, { migrations: { module: 'api_keys', list: MIGRATIONS }, shared: true });
    this.byId = this.db.prepare('SELECT * FROM api_keys WHERE id = ?');
  }

  async add(k: ApiKeyRecord): Promise<void> {
    this.db.prepare('INSERT INTO api_keys (id, name, scopes, hash, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(k.id, k.name, JSON.stringify(k.scopes), k.hash, k.createdAt, k.expiresAt, k.revokedAt);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const r = this.byId.get(id);
    return r && toRecord(r);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at DESC, id').all() as Row[]).map(toRecord);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    return this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes === 1;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
