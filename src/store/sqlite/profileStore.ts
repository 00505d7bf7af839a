import type { ProfileCheckpoint, ProfileSnapshot, ProfileStore } from '../profileStore.js';
import { ensureSchema, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE feature_profiles (customer_id TEXT PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID;
   CREATE TABLE feature_checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, version TEXT NOT NULL);`,
];

/**
 * Snapshots of the online feature state in the embedded database. The state lives in
 * memory; a commit writes the changed customers and the checkpoint in one transaction.
 */
export class SqliteProfileStore implements ProfileStore {
  private readonly get;
  private readonly put;
  private readonly del;
  private readonly setCheckpoint;
  private readonly commitTx;

  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'features', MIGRATIONS);
    this.get = db.prepare('SELECT state FROM feature_profiles WHERE customer_id = ?');
    this.put = db.prepare('INSERT INTO feature_profiles (customer_id, state) VALUES (?, ?) ON CONFLICT (customer_id) DO UPDATE SET state = excluded.state');
    this.del = db.prepare('DELETE FROM feature_profiles WHERE customer_id = ?');
    this.setCheckpoint = db.prepare('INSERT INTO feature_checkpoint (id, seq, version) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, version = excluded.version');
    this.commitTx = db.transaction((put: readonly ProfileSnapshot[], remove: readonly string[], cp: ProfileCheckpoint) => {
      for (const p of put) this.put.run(p.customerId, Buffer.from(p.state.buffer, p.state.byteOffset, p.state.byteLength));
      for (const id of remove) this.del.run(id);
      this.setCheckpoint.run(cp.seq, cp.version);
    });
  }

  async getMany(customerIds: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    return customerIds.map((id) => {
      const row = this.get.get(id) as { state: Buffer } | undefined;
      return row ? new Uint8Array(row.state) : undefined;
    });
  }

  async commit(batch: { put: readonly ProfileSnapshot[]; remove: readonly string[]; checkpoint: ProfileCheckpoint }): Promise<void> {
    this.commitTx(batch.put, batch.remove, batch.checkpoint);
  }

  async checkpoint(): Promise<ProfileCheckpoint | undefined> {
    const row = this.db.prepare('SELECT seq, version FROM feature_checkpoint WHERE id = 1').get() as ProfileCheckpoint | undefined;
    return row ? { seq: row.seq, version: row.version } : undefined;
  }

  async *customerIds(batchSize = 1000): AsyncIterable<string[]> {
    let after = '';
    const stmt = this.db.prepare('SELECT customer_id FROM feature_profiles WHERE customer_id > ? ORDER BY customer_id LIMIT ?');
    for (;;) {
      const rows = stmt.all(after, batchSize) as { customer_id: string }[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.customer_id;
      yield rows.map((r) => r.customer_id);
      if (rows.length < batchSize) return;
    }
  }

  async clear(): Promise<void> {
    this.db.transaction(() => {
      this.db.exec('DELETE FROM feature_profiles; DELETE FROM feature_checkpoint;');
    })();
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM feature_profiles').get() as { n: number }).n;
  }

  /** The database belongs to the engine, which closes it. */
  async close(): Promise<void> {}
}
