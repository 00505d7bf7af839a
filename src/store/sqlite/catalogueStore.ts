import { canonicalJson } from '../../core/canonical.js';
import { catalogueChanged, versionClash, type CatalogueSource, type CatalogueStore, type CatalogueVersionInfo, type NewCatalogueVersion, type StoredCatalogueVersion } from '../catalogueStore.js';
import { ensureSchema, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE catalogue_versions (
     seq INTEGER PRIMARY KEY,
     version TEXT NOT NULL UNIQUE,
     body TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     author TEXT,
     source TEXT NOT NULL,
     replaces TEXT
   );
   -- One row: the version in force. Moved only by compare-and-set (see commit).
   CREATE TABLE catalogue_current (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     version TEXT NOT NULL REFERENCES catalogue_versions (version),
     changed_at INTEGER NOT NULL
   );`,
];

interface VersionRow {
  version: string;
  body: string;
  created_at: number;
  author: string | null;
  source: CatalogueSource;
  replaces: string | null;
}

/**
 * Catalogue versions in the embedded database, shared by every process that opens the
 * file: a commit runs in an IMMEDIATE transaction (the write lock is taken before the
 * current version is read), so of two processes editing from the same version one wins and
 * the other gets CONFLICT, and a lost commit stores nothing.
 */
export class SqliteCatalogueStore implements CatalogueStore {
  private readonly readCurrent;
  private readonly readVersion;
  private readonly insert;
  private readonly move;
  private readonly commitTx;

  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'catalogue', MIGRATIONS);
    this.readCurrent = db.prepare('SELECT version FROM catalogue_current WHERE id = 1').pluck();
    this.readVersion = db.prepare('SELECT version, body, created_at, author, source, replaces FROM catalogue_versions WHERE version = ?');
    this.insert = db.prepare('INSERT INTO catalogue_versions (version, body, created_at, author, source, replaces) VALUES (?, ?, ?, ?, ?, ?)');
    this.move = db.prepare('INSERT INTO catalogue_current (id, version, changed_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, changed_at = excluded.changed_at');
    this.commitTx = db.transaction((next: NewCatalogueVersion, expected: string | null, body: string): VersionRow => {
      const current = this.readCurrent.get() as string | undefined;
      if ((current ?? null) !== expected) throw catalogueChanged(expected, current);
      let row = this.readVersion.get(next.version) as VersionRow | undefined;
      if (row && row.body !== body) throw versionClash(next.version);
      if (!row) {
        this.insert.run(next.version, body, next.createdAt, next.author, next.source, expected);
        row = { version: next.version, body, created_at: next.createdAt, author: next.author, source: next.source, replaces: expected };
      }
      this.move.run(next.version, next.createdAt);
      return row;
    });
  }

  async commit(next: NewCatalogueVersion, expected: string | null): Promise<CatalogueVersionInfo> {
    return info(this.commitTx.immediate(next, expected, canonicalJson(next.catalogue)));
  }

  async currentVersion(): Promise<string | undefined> {
    return this.readCurrent.get() as string | undefined;
  }

  async get(version: string): Promise<StoredCatalogueVersion | undefined> {
    const row = this.readVersion.get(version) as VersionRow | undefined;
    return row ? { ...info(row), catalogue: JSON.parse(row.body) as unknown } : undefined;
  }

  async list(options: { limit?: number } = {}): Promise<CatalogueVersionInfo[]> {
    const rows = this.db.prepare('SELECT version, created_at, author, source, replaces FROM catalogue_versions ORDER BY seq DESC LIMIT ?').all(options.limit ?? -1) as Omit<VersionRow, 'body'>[];
    return rows.map(info);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function info(r: Omit<VersionRow, 'body'>): CatalogueVersionInfo {
  return { version: r.version, createdAt: r.created_at, author: r.author, source: r.source, replaces: r.replaces };
}
