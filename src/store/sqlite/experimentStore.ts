import { canonicalJson } from '../../core/canonical.js';
import { experimentChanged, experimentFromRow, type ExperimentRow, type ExperimentStore, type StoredExperiment } from '../experimentStore.js';
import { ensureSchema, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE experiments (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     revision INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     body TEXT NOT NULL
   );
   CREATE TABLE experiment_settings (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     body TEXT NOT NULL
   );`,
];

/**
 * Experiments in the embedded database: an edit runs in an IMMEDIATE transaction (the
 * write lock is taken before the revision is read), so of two processes editing one
 * experiment from the same revision one wins and the other gets CONFLICT.
 */
export class SqliteExperimentStore implements ExperimentStore {
  private readonly readOne;
  private readonly putTx;
  private readonly removeTx;

  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'experiments', MIGRATIONS);
    this.readOne = db.prepare('SELECT id, revision, created_at, updated_at, body FROM experiments WHERE id = ?');
    const insert = db.prepare('INSERT INTO experiments (id, revision, created_at, updated_at, body) VALUES (?, 1, ?, ?, ?)');
    const update = db.prepare('UPDATE experiments SET revision = revision + 1, updated_at = ?, body = ? WHERE id = ?');
    const del = db.prepare('DELETE FROM experiments WHERE id = ?');
    this.putTx = db.transaction((id: string, body: string, expected: number, now: number): ExperimentRow => {
      const had = this.readOne.get(id) as ExperimentRow | undefined;
      if ((had?.revision ?? 0) !== expected) throw experimentChanged(id, expected, had?.revision);
      if (had) update.run(now, body, id);
      else insert.run(id, now, now, body);
      return this.readOne.get(id) as ExperimentRow;
    });
    this.removeTx = db.transaction((id: string, expected: number): boolean => {
      const had = this.readOne.get(id) as ExperimentRow | undefined;
      if (!had) return false;
      if (had.revision !== expected) throw experimentChanged(id, expected, had.revision);
      del.run(id);
      return true;
    });
  }

  async put(id: string, definition: unknown, expectedRevision: number, now: number): Promise<StoredExperiment> {
    return experimentFromRow(this.putTx.immediate(id, canonicalJson(definition), expectedRevision, now));
  }

  async get(id: string): Promise<StoredExperiment | undefined> {
    const r = this.readOne.get(id) as ExperimentRow | undefined;
    return r ? experimentFromRow(r) : undefined;
  }

  async list(): Promise<StoredExperiment[]> {
    return (this.db.prepare('SELECT id, revision, created_at, updated_at, body FROM experiments ORDER BY seq').all() as ExperimentRow[]).map(experimentFromRow);
  }

  async remove(id: string, expectedRevision: number): Promise<boolean> {
    return this.removeTx.immediate(id, expectedRevision);
  }

  async settings(): Promise<unknown> {
    const body = this.db.prepare('SELECT body FROM experiment_settings WHERE id = 1').pluck().get() as string | undefined;
    return body === undefined ? undefined : (JSON.parse(body) as unknown);
  }

  async putSettings(settings: unknown): Promise<void> {
    this.db.prepare('INSERT INTO experiment_settings (id, body) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body').run(canonicalJson(settings));
  }

  /** The database belongs to the backend, which closes it. */
  async close(): Promise<void> {
    return;
  }
}
