import { randomBytes } from 'node:crypto';
import type { Customer } from '../../core/customer.js';
import { tombstoneOf, type CustomerStore } from '../customerStore.js';
import { Coalesced } from './coalesce.js';
import { inTransaction, release, type PgAdapterOptions, type PgPool } from './db.js';

/**
 * Customer records in PostgreSQL. Unlike the embedded store there is no cache of records
 * or tombstones: another instance may upsert or erase at any time, and an erasure must
 * hold everywhere at once, so every read goes to the database (one query per batch).
 * Reads made while others are in flight are answered together (coalesce.ts): each
 * decision reads its customer and its tombstone, and under load those become one query
 * for many decisions, each still started after the read was asked for.
 */
export class PgCustomerStore implements CustomerStore {
  private readonly bodies: Coalesced<string, string>;
  private readonly tombstones: Coalesced<string, true>;

  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
    /** The schema's tombstone key (tombstones.ts); without it (tests) tombstones hold only for this store's lifetime. */
    private readonly tombstoneKey: Uint8Array = randomBytes(32),
  ) {
    this.bodies = new Coalesced(async (ids) => {
      const rows = (await this.pool.query<{ customer_id: string; body: string }>({ name: 'customers_get', text: 'SELECT customer_id, body FROM customers WHERE customer_id = ANY($1::text[])', values: [ids] })).rows;
      return new Map(rows.map((r) => [r.customer_id, r.body]));
    });
    this.tombstones = new Coalesced(async (hashes) => {
      const rows = (await this.pool.query<{ id_hash: string }>({ name: 'customers_erased', text: 'SELECT id_hash FROM erased_customer_hashes WHERE id_hash = ANY($1::text[])', values: [hashes] })).rows;
      return new Map(rows.map((r) => [r.id_hash, true] as const));
    });
  }

  async upsertMany(customers: readonly Customer[], updatedAt: number): Promise<void> {
    if (customers.length === 0) return;
    // One multi-row upsert may not touch a row twice: the last record of an id wins.
    const last = new Map(customers.map((c) => [c.customerId, c] as const));
    await this.pool.query(
      'INSERT INTO customers (customer_id, body, updated_at) SELECT i, b, $3 FROM unnest($1::text[], $2::text[]) AS u(i, b) ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
      [[...last.keys()], [...last.values()].map((c) => JSON.stringify(c)), updatedAt],
    );
  }

  async getMany(ids: readonly string[]): Promise<(Customer | undefined)[]> {
    if (ids.length === 0) return [];
    const bodies = await this.bodies.get(ids);
    // Parsed per position: two asks for one id get two copies, neither shared.
    return ids.map((id) => {
      const b = bodies.get(id);
      return b === undefined ? undefined : (JSON.parse(b) as Customer);
    });
  }

  async erase(id: string, erasedAt: number): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      const had = ((await c.query('DELETE FROM customers WHERE customer_id = $1', [id])).rowCount ?? 0) > 0;
      // The tombstone keeps a keyed hash, never the id.
      await c.query('INSERT INTO erased_customer_hashes (id_hash, erased_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [tombstoneOf(this.tombstoneKey, id), erasedAt]);
      return had;
    });
  }

  async erasedAmong(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const byHash = new Map([...new Set(ids)].map((id) => [tombstoneOf(this.tombstoneKey, id), id] as const));
    const found = await this.tombstones.get([...byHash.keys()]);
    return new Set([...byHash].filter(([h]) => found.has(h)).map(([, id]) => id));
  }

  async list(o: { afterId?: string; limit: number }): Promise<Customer[]> {
    // COLLATE "C": code-unit order, as the port promises, whatever the database's collation.
    const rows =
      o.afterId === undefined
        ? (await this.pool.query<{ body: string }>('SELECT body FROM customers ORDER BY customer_id COLLATE "C" LIMIT $1', [o.limit])).rows
        : (await this.pool.query<{ body: string }>('SELECT body FROM customers WHERE customer_id COLLATE "C" > $1 ORDER BY customer_id COLLATE "C" LIMIT $2', [o.afterId, o.limit])).rows;
    return rows.map((r) => JSON.parse(r.body) as Customer);
  }

  async count(): Promise<number> {
    return (await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM customers')).rows[0]!.n;
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}
