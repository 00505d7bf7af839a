/**
 * The tombstone key on PostgreSQL, shared by every instance on the schema, and the re-keying
 * of tombstones written by older versions (which kept the raw id).
 */
import { randomBytes } from 'node:crypto';
import { tombstoneOf } from '../customerStore.js';
import { inTransaction, lockFor, type PgPool } from './db.js';

/**
 * The schema's tombstone key: made by the first instance to start (32 random bytes), read by
 * the others. Then every tombstone still holding a raw id is replaced by its keyed hash.
 */
export async function openTombstoneKey(pool: PgPool, now: number): Promise<Buffer> {
  await pool.query('INSERT INTO tombstone_key (id, key_hex, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING', [randomBytes(32).toString('hex'), now]);
  const key = Buffer.from((await pool.query<{ key_hex: string }>('SELECT key_hex FROM tombstone_key WHERE id = 1')).rows[0]!.key_hex, 'hex');
  await rekeyRawTombstones(pool, key);
  return key;
}

/** Moves tombstones holding a raw id (erased_customers, before keyed hashes) to their keyed hash; returns how many. */
export async function rekeyRawTombstones(pool: PgPool, key: Uint8Array): Promise<number> {
  return inTransaction(pool, async (c) => {
    await lockFor(c, 'tombstones', 'rekey');
    const old = (await c.query<{ customer_id: string; erased_at: number }>('SELECT customer_id, erased_at FROM erased_customers')).rows;
    if (old.length === 0) return 0;
    await c.query('INSERT INTO erased_customer_hashes (id_hash, erased_at) SELECT h, t FROM unnest($1::text[], $2::bigint[]) AS u(h, t) ON CONFLICT DO NOTHING', [old.map((r) => tombstoneOf(key, r.customer_id)), old.map((r) => r.erased_at)]);
    await c.query('DELETE FROM erased_customers');
    return old.length;
  });
}
