import type { ConsumerCheckpoint, ConsumerCheckpoints } from '../consumer.js';
import { ensureSchema, type SqliteDb } from './db.js';

const MIGRATIONS = [`CREATE TABLE consumer_checkpoints (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;`];

/** Consumer checkpoints in the embedded database (next to the event log they point into). */
export class SqliteConsumerCheckpoints implements ConsumerCheckpoints {
  private readonly select;
  private readonly upsert;

  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'consumers', MIGRATIONS);
    this.select = db.prepare('SELECT seq FROM consumer_checkpoints WHERE name = ?');
    // MAX keeps a checkpoint from moving back if two writers race.
    this.upsert = db.prepare('INSERT INTO consumer_checkpoints (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = MAX(seq, excluded.seq)');
  }

  async get(name: string): Promise<number | undefined> {
    return (this.select.get(name) as { seq: number } | undefined)?.seq;
  }

  async put(name: string, seq: number): Promise<void> {
    this.upsert.run(name, seq);
  }

  async list(): Promise<ConsumerCheckpoint[]> {
    return this.db.prepare('SELECT name, seq FROM consumer_checkpoints ORDER BY name').all() as ConsumerCheckpoint[];
  }

  /** The database belongs to the backend, which closes it. */
  async close(): Promise<void> {}
}
