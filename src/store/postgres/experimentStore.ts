import { canonicalJson } from '../../core/canonical.js';
import { experimentChanged, experimentFromRow, type ExperimentRow, type ExperimentStore, type StoredExperiment } from '../experimentStore.js';
import { inTransaction, lockFor, release, type PgAdapterOptions, type PgPool } from './db.js';

const COLUMNS = 'id, revision, created_at, updated_at, body';

/**
 * Experiments in PostgreSQL, shared by every instance (migration 10). An edit holds an
 * advisory lock on the experiment's id from reading its revision to writing, so of two
 * instances editing one experiment from the same revision one wins and the other gets
 * CONFLICT, as with the SQLite adapter's IMMEDIATE transaction.
 */
export class PgExperimentStore implements ExperimentStore {
  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  async put(id: string, definition: unknown, expectedRevision: number, now: number): Promise<StoredExperiment> {
    const body = canonicalJson(definition);
    return inTransaction(this.pool, async (c) => {
      await lockFor(c, 'experiment', id);
      const had = (await c.query<{ revision: number }>('SELECT revision FROM experiments WHERE id = $1', [id])).rows[0];
      if ((had?.revision ?? 0) !== expectedRevision) throw experimentChanged(id, expectedRevision, had?.revision);
      const row = had
        ? (await c.query<ExperimentRow>(`UPDATE experiments SET revision = revision + 1, updated_at = $2, body = $3 WHERE id = $1 RETURNING ${COLUMNS}`, [id, now, body])).rows[0]!
        : (await c.query<ExperimentRow>(`INSERT INTO experiments (id, revision, created_at, updated_at, body) VALUES ($1, 1, $2, $2, $3) RETURNING ${COLUMNS}`, [id, now, body])).rows[0]!;
      return experimentFromRow(row);
    });
  }

  async get(id: string): Promise<StoredExperiment | undefined> {
    const r = (await this.pool.query<ExperimentRow>(`SELECT ${COLUMNS} FROM experiments WHERE id = $1`, [id])).rows[0];
    return r ? experimentFromRow(r) : undefined;
  }

  async list(): Promise<StoredExperiment[]> {
    return (await this.pool.query<ExperimentRow>(`SELECT ${COLUMNS} FROM experiments ORDER BY seq`)).rows.map(experimentFromRow);
  }

  async remove(id: string, expectedRevision: number): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      await lockFor(c, 'experiment', id);
      const had = (await c.query<{ revision: number }>('SELECT revision FROM experiments WHERE id = $1', [id])).rows[0];
      if (!had) return false;
      if (had.revision !== expectedRevision) throw experimentChanged(id, expectedRevision, had.revision);
      await c.query('DELETE FROM experiments WHERE id = $1', [id]);
      return true;
    });
  }

  async settings(): Promise<unknown> {
    const body = (await this.pool.query<{ body: string }>('SELECT body FROM experiment_settings WHERE id = 1')).rows[0]?.body;
    return body === undefined ? undefined : (JSON.parse(body) as unknown);
  }

  async putSettings(settings: unknown): Promise<void> {
    await this.pool.query('INSERT INTO experiment_settings (id, body) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET body = excluded.body', [canonicalJson(settings)]);
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}
