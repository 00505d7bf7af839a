import { release, type PgAdapterOptions, type PgPool } from './db.js';

/**
 * Log consumers' checkpoints in PostgreSQL, next to the log they point into. The same
 * methods as the ConsumerCheckpoints port of the log-consumer work (src/store/consumer.ts
 * once merged): a put never moves a checkpoint back, even when two instances race.
 */
export class PgConsumerCheckpoints {
  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  /** The saved seq of a consumer, or undefined before its first. */
  async get(name: string): Promise<number | undefined> {
    return (await this.pool.query<{ seq: number }>('SELECT seq FROM consumer_checkpoints WHERE name = $1', [name])).rows[0]?.seq;
  }

  /** Saves a consumer's seq; a lower one than the saved one is ignored. */
  async put(name: string, seq: number): Promise<void> {
    await this.pool.query('INSERT INTO consumer_checkpoints (name, seq) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET seq = GREATEST(consumer_checkpoints.seq, excluded.seq)', [name, seq]);
  }

  /** Every saved checkpoint, by name. */
  async list(): Promise<{ name: string; seq: number }[]> {
    return (await this.pool.query<{ name: string; seq: number }>('SELECT name, seq FROM consumer_checkpoints ORDER BY name')).rows;
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}
