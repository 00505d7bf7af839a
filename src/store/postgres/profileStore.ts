import type { ProfileCheckpoint, ProfileSnapshot, ProfileStore } from '../profileStore.js';
import { inTransaction, release, type PgAdapterOptions, type PgPool } from './db.js';

/**
 * Saved online feature state in PostgreSQL: states and the checkpoint move in one
 * transaction (a batch of states is one multi-row upsert), so a crash between the two
 * cannot leave states ahead of the checkpoint or behind it.
 */
export class PgProfileStore implements ProfileStore {
  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  async getMany(customerIds: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (customerIds.length === 0) return [];
    const rows = (await this.pool.query<{ customer_id: string; state: Buffer }>('SELECT customer_id, state FROM feature_profiles WHERE customer_id = ANY($1::text[])', [[...new Set(customerIds)]])).rows;
    const states = new Map(rows.map((r) => [r.customer_id, r.state]));
    return customerIds.map((id) => {
      const s = states.get(id);
      return s ? new Uint8Array(s) : undefined;
    });
  }

  async commit(batch: { put: readonly ProfileSnapshot[]; remove: readonly string[]; checkpoint: ProfileCheckpoint; partition?: number }): Promise<void> {
    const put = new Map(batch.put.map((p) => [p.customerId, p.state] as const));
    await inTransaction(this.pool, async (c) => {
      if (put.size > 0) {
        await c.query('INSERT INTO feature_profiles (customer_id, state) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (customer_id) DO UPDATE SET state = excluded.state', [
          [...put.keys()],
          [...put.values()].map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength)),
        ]);
      }
      if (batch.remove.length > 0) await c.query('DELETE FROM feature_profiles WHERE customer_id = ANY($1::text[])', [batch.remove]);
      if (batch.partition === undefined) await c.query('INSERT INTO feature_checkpoint (id, seq, version) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, version = excluded.version', [batch.checkpoint.seq, batch.checkpoint.version]);
      else await c.query('INSERT INTO feature_partition_checkpoints (partition, seq, version) VALUES ($1, $2, $3) ON CONFLICT (partition) DO UPDATE SET seq = excluded.seq, version = excluded.version', [batch.partition, batch.checkpoint.seq, batch.checkpoint.version]);
    });
  }

  async checkpoint(): Promise<ProfileCheckpoint | undefined> {
    const row = (await this.pool.query<ProfileCheckpoint>('SELECT seq, version FROM feature_checkpoint WHERE id = 1')).rows[0];
    return row ? { seq: row.seq, version: row.version } : undefined;
  }

  async partitionCheckpoint(partition: number): Promise<ProfileCheckpoint | undefined> {
    const row = (await this.pool.query<ProfileCheckpoint>('SELECT seq, version FROM feature_partition_checkpoints WHERE partition = $1', [partition])).rows[0];
    return row ? { seq: row.seq, version: row.version } : undefined;
  }

  async forget(customerIds: readonly string[]): Promise<void> {
    await this.pool.query('DELETE FROM feature_profiles WHERE customer_id = ANY($1::text[])', [customerIds]);
  }

  async *customerIds(batchSize = 1000): AsyncIterable<string[]> {
    let after = '';
    for (;;) {
      const rows = (await this.pool.query<{ customer_id: string }>('SELECT customer_id FROM feature_profiles WHERE customer_id > $1 ORDER BY customer_id LIMIT $2', [after, batchSize])).rows;
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.customer_id;
      yield rows.map((r) => r.customer_id);
      if (rows.length < batchSize) return;
    }
  }

  async clear(): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query('DELETE FROM feature_profiles');
      await c.query('DELETE FROM feature_checkpoint');
      await c.query('DELETE FROM feature_partition_checkpoints');
    });
  }

  async count(): Promise<number> {
    return (await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM feature_profiles')).rows[0]!.n;
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}
