import { canonicalJson } from '../../core/canonical.js';
import { catalogueChanged, versionClash, type CatalogueSource, type CatalogueStore, type CatalogueVersionInfo, type NewCatalogueVersion, type StoredCatalogueVersion } from '../catalogueStore.js';
import { inTransaction, lockFor, release, type PgAdapterOptions, type PgPool } from './db.js';

interface VersionRow {
  version: string;
  body: string;
  created_at: number;
  author: string | null;
  source: CatalogueSource;
  replaces: string | null;
}

/**
 * Catalogue versions in PostgreSQL, shared by every instance. A commit holds an advisory
 * lock on the catalogue from before it reads the current version until it commits (a row
 * lock cannot cover the very first commit, when there is no row yet), so of two instances
 * editing from the same version one wins and the other gets CONFLICT, storing nothing.
 */
export class PgCatalogueStore implements CatalogueStore {
  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  async commit(next: NewCatalogueVersion, expected: string | null): Promise<CatalogueVersionInfo> {
    const body = canonicalJson(next.catalogue);
    return inTransaction(this.pool, async (c) => {
      await lockFor(c, 'catalogue', 'current');
      const current = (await c.query<{ version: string }>('SELECT version FROM catalogue_current WHERE id = 1')).rows[0]?.version;
      if ((current ?? null) !== expected) throw catalogueChanged(expected, current);
      let row = (await c.query<VersionRow>('SELECT version, body, created_at, author, source, replaces FROM catalogue_versions WHERE version = $1', [next.version])).rows[0];
      if (row && row.body !== body) throw versionClash(next.version);
      if (!row) {
        await c.query('INSERT INTO catalogue_versions (version, body, created_at, author, source, replaces) VALUES ($1, $2, $3, $4, $5, $6)', [next.version, body, next.createdAt, next.author, next.source, expected]);
        row = { version: next.version, body, created_at: next.createdAt, author: next.author, source: next.source, replaces: expected };
      }
      await c.query('INSERT INTO catalogue_current (id, version, changed_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET version = excluded.version, changed_at = excluded.changed_at', [next.version, next.createdAt]);
      return info(row);
    });
  }

  async currentVersion(): Promise<string | undefined> {
    return (await this.pool.query<{ version: string }>('SELECT version FROM catalogue_current WHERE id = 1')).rows[0]?.version;
  }

  async get(version: string): Promise<StoredCatalogueVersion | undefined> {
    const row = (await this.pool.query<VersionRow>('SELECT version, body, created_at, author, source, replaces FROM catalogue_versions WHERE version = $1', [version])).rows[0];
    return row ? { ...info(row), catalogue: JSON.parse(row.body) as unknown } : undefined;
  }

  async list(options: { limit?: number } = {}): Promise<CatalogueVersionInfo[]> {
    const rows = (await this.pool.query<Omit<VersionRow, 'body'>>('SELECT version, created_at, author, source, replaces FROM catalogue_versions ORDER BY seq DESC LIMIT $1', [options.limit ?? null])).rows;
    return rows.map(info);
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}

function info(r: Omit<VersionRow, 'body'>): CatalogueVersionInfo {
  return { version: r.version, createdAt: r.created_at, author: r.author, source: r.source, replaces: r.replaces };
}
