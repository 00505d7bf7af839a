import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { lockDataDir } from './dataDirLock.js';

export type SqliteDb = Database.Database;

const MIGRATIONS: string[] = [
  `CREATE TABLE events (
     seq INTEGER PRIMARY KEY,
     event_id TEXT NOT NULL UNIQUE,
     customer_id TEXT NOT NULL,
     type TEXT NOT NULL,
     t INTEGER NOT NULL,
     recorded_at INTEGER NOT NULL,
     body TEXT NOT NULL
   );
   CREATE INDEX events_customer_time ON events (customer_id, t, seq);
   CREATE INDEX events_time ON events (t, seq);
   CREATE TABLE customers (
     customer_id TEXT PRIMARY KEY,
     body TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE erased_customers (
     customer_id TEXT PRIMARY KEY,
     erased_at INTEGER NOT NULL
   );
   CREATE TABLE rejects (
     id INTEGER PRIMARY KEY,
     received_at INTEGER NOT NULL,
     source TEXT NOT NULL,
     event_id TEXT,
     customer_id TEXT,
     issues TEXT NOT NULL,
     raw TEXT NOT NULL
   );
   CREATE INDEX rejects_customer ON rejects (customer_id);`,
  // Every decision reads the customer's consent changes: a partial index finds those few
  // rows directly instead of walking all of the customer's events (costs nothing on other types).
  `CREATE INDEX events_consent ON events (customer_id, t, seq) WHERE type = 'consent_change';`,
  // The highest seq given out, kept when an erasure deletes the newest events: SQLite would
  // otherwise hand their seqs out again, under consumer checkpoints that already passed them.
  `CREATE TABLE log_high_water (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);`,
];

/**
 * Opens (creating if needed) the embedded database. WAL with synchronous=FULL: a commit
 * returns only after the WAL is fsynced, so an acknowledged write survives a crash or a
 * power cut. Other modules add their own tables through `ensureSchema`. The data dir is
 * held by one process at a time (see dataDirLock.ts) until its last database is closed.
 */
export function openSqlite(path: string, o: { migrations?: { module: string; list: readonly string[] }; shared?: boolean } = {}): SqliteDb {
  if (path === ':memory:') return configure(new Database(path), o);
  // A shared file (the API keys) is written by `nextbest keys` while `serve` runs: SQLite's
  // own locking keeps it consistent, so it does not take the data dir's one-writer lock.
  const dir = privateDir(dirname(path));
  const release = o.shared ? () => undefined : lockDataDir(dir);
  let db: SqliteDb;
  try {
    privateFile(path);
    db = new Database(path);
  } catch (e) {
    release();
    throw e;
  }
  const close = db.close.bind(db);
  db.close = () => {
    close();
    release();
    return db;
  };
  try {
    return configure(db, o);
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Customers' data lives here: folders we create are 0700 and database files 0600 (SQLite
 * gives its -wal and -shm files the database file's mode), whatever the umask.
 */
function privateDir(dir: string): string {
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) chmodSync(dir, 0o700);
  return dir;
}

function privateFile(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600); // a file made by an older version, or under a loose umask
}

function configure(db: SqliteDb, o: { migrations?: { module: string; list: readonly string[] } }): SqliteDb {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Deleted rows (an erased customer's) are overwritten with zeros, not left in free pages.
  db.pragma('secure_delete = ON');
  db.pragma('cache_size = -65536'); // 64 MiB page cache
  db.pragma('temp_store = MEMORY');
  db.pragma('wal_autocheckpoint = 10000'); // checkpoint every ~40 MB of WAL, not every 4 MB
  // A database of one module's own (the decision log) skips the core tables.
  if (o.migrations) ensureSchema(db, o.migrations.module, o.migrations.list);
  else ensureSchema(db, 'core', MIGRATIONS);
  return db;
}

/** Applies the migrations of one module that have not run yet, each in a transaction. */
export function ensureSchema(db: SqliteDb, module: string, migrations: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (module, version))');
  const done = db.prepare('SELECT version FROM schema_migrations WHERE module = ?').all(module) as { version: number }[];
  const applied = new Set(done.map((r) => r.version));
  migrations.forEach((sql, i) => {
    if (applied.has(i + 1)) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (module, version) VALUES (?, ?)').run(module, i + 1);
    })();
  });
}

/**
 * Copies the WAL into the database and truncates it to zero bytes, so rows deleted by an
 * erasure leave no earlier copy in the -wal file. Returns false when a reader kept the
 * checkpoint from finishing (the next one after it finishes will).
 */
export function truncateWal(db: SqliteDb): boolean {
  if (!db.open || db.memory) return true;
  const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
  return r !== undefined && r.busy === 0;
}
