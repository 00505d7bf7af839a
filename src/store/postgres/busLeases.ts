import type { LeaseState, PartitionLeases, PartitionProgress } from '../bus.js';
import { inTransaction, release, type PgAdapterOptions, type PgPool } from './db.js';

const RELAY = -1;

/**
 * Partition leases in PostgreSQL (`bus_partitions`, `bus_instances`, migration 9). Times
 * are the database's `now()`, so the instances' clocks never meet. A heartbeat is one
 * transaction: the instance says it is alive, renews what it owns, gives back what is
 * above its share and takes free or expired partitions up to it (SKIP LOCKED, so two
 * instances never take the same one).
 */
export class PgPartitionLeases implements PartitionLeases {
  private readonly ttl: string;

  constructor(
    private readonly pool: PgPool,
    readonly instanceId: string,
    private readonly partitions: number,
    leaseMs: number,
    private readonly o: PgAdapterOptions = {},
  ) {
    this.ttl = `${Math.max(1, Math.round(leaseMs))} milliseconds`;
  }

  /** Creates the partition rows (once; a count that differs from the stored one is refused). */
  async open(): Promise<void> {
    const rows = (await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM bus_partitions WHERE partition >= 0')).rows[0]!.n;
    if (rows !== 0 && rows !== this.partitions) throw new Error(`the bus has ${rows} partitions in this schema, not ${this.partitions}: every instance must use the same ?partitions=`);
    await this.pool.query('INSERT INTO bus_partitions (partition) SELECT generate_series(-1, $1::int - 1) ON CONFLICT DO NOTHING', [this.partitions]);
  }

  async heartbeat(): Promise<LeaseState> {
    return inTransaction(this.pool, async (c) => {
      const me = this.instanceId;
      await c.query('INSERT INTO bus_instances (id, seen_at) VALUES ($1, now()) ON CONFLICT (id) DO UPDATE SET seen_at = now()', [me]);
      const instances = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM bus_instances WHERE seen_at > now() - $1::interval`, [this.ttl])).rows[0]!.n;
      const share = Math.ceil(this.partitions / Math.max(1, instances));
      let owned = (await c.query<{ partition: number }>(`UPDATE bus_partitions SET lease_until = now() + $2::interval WHERE owner = $1 AND partition >= 0 RETURNING partition`, [me, this.ttl])).rows.map((r) => r.partition).sort((a, b) => a - b);
      // Above its share the instance keeps its leases until its workers have stopped (`release`).
      const surplus = owned.length > share ? owned.slice(share) : [];
      if (owned.length < share) {
        const taken = await c.query<{ partition: number }>(
          `UPDATE bus_partitions SET owner = $1, lease_until = now() + $2::interval
            WHERE partition IN (SELECT partition FROM bus_partitions WHERE partition >= 0 AND (owner IS NULL OR lease_until < now())
                                ORDER BY partition LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING partition`,
          [me, this.ttl, share - owned.length],
        );
        owned = [...owned, ...taken.rows.map((r) => r.partition)].sort((a, b) => a - b);
      }
      const relay = (await c.query(`UPDATE bus_partitions SET owner = $1, lease_until = now() + $2::interval WHERE partition = ${RELAY} AND (owner = $1 OR owner IS NULL OR lease_until < now()) RETURNING partition`, [me, this.ttl])).rowCount === 1;
      // Instances gone for ten lease times are forgotten (their rows only count the living).
      await c.query(`DELETE FROM bus_instances WHERE seen_at < now() - 10 * $1::interval`, [this.ttl]);
      return { partitions: owned, surplus, relay, instances };
    });
  }

  async release(partitions: readonly number[]): Promise<void> {
    await this.pool.query('UPDATE bus_partitions SET owner = NULL, lease_until = NULL WHERE owner = $1 AND partition = ANY($2::int[])', [this.instanceId, partitions]);
  }

  async applied(partition: number, seq: number): Promise<boolean> {
    const r = await this.pool.query('UPDATE bus_partitions SET applied_seq = GREATEST(applied_seq, $3) WHERE partition = $1 AND owner = $2', [partition, this.instanceId, seq]);
    return r.rowCount === 1;
  }

  async relayCheckpoint(): Promise<number> {
    return (await this.pool.query<{ s: number }>(`SELECT published_seq AS s FROM bus_partitions WHERE partition = ${RELAY}`)).rows[0]?.s ?? 0;
  }

  async published(seq: number, perPartition: ReadonlyMap<number, number>): Promise<void> {
    const parts = [RELAY, ...perPartition.keys()];
    const seqs = [seq, ...perPartition.values()];
    await this.pool.query('UPDATE bus_partitions b SET published_seq = GREATEST(b.published_seq, u.seq) FROM unnest($1::int[], $2::bigint[]) AS u(partition, seq) WHERE b.partition = u.partition', [parts, seqs]);
  }

  async progress(): Promise<PartitionProgress[]> {
    const rows = (await this.pool.query<{ partition: number; owner: string | null; applied_seq: number; published_seq: number; live: boolean }>('SELECT partition, owner, applied_seq, published_seq, lease_until > now() AS live FROM bus_partitions WHERE partition >= 0 ORDER BY partition')).rows;
    return rows.map((r) => ({ partition: r.partition, owner: r.live ? r.owner : null, appliedSeq: r.applied_seq, publishedSeq: r.published_seq }));
  }

  async releaseAll(): Promise<void> {
    await this.pool.query('UPDATE bus_partitions SET owner = NULL, lease_until = NULL WHERE owner = $1', [this.instanceId]);
    await this.pool.query('DELETE FROM bus_instances WHERE id = $1', [this.instanceId]);
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}
