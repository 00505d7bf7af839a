import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

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
 * power cut. Other modules add their own tables through `ensureSchema`.
 */
export function openSqlite(path: string, o: { migrations?: { module: string; list: readonly string[] } } = {}): SqliteDb {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
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
