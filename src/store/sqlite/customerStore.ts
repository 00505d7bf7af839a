import type { Customer } from '../../core/customer.js';
import { randomBytes } from 'node:crypto';
import { tombstoneOf, type CustomerStore } from '../customerStore.js';
import type { SqliteDb } from './db.js';

/** Customer records in the embedded database. */
export class SqliteCustomerStore implements CustomerStore {
  /** Tombstones (keyed hashes of erased ids) are few and checked on every ingest, so they are held in memory. */
  private readonly erased: Set<string>;

  private readonly upsert;
  private readonly select;
  private readonly page;
  private readonly firstPage;
  /**
   * Parsed records, most recently used last: every decision reads its customer, and this
   * process is the database's only writer, so upserts and erasures keep the cache exact.
   * Records are frozen: callers share them.
   */
  private readonly cache = new Map<string, Customer>();
  private readonly cacheSize: number;
  private readonly tombstoneKey: Uint8Array;

  constructor(
    private readonly db: SqliteDb,
    o: { cacheSize?: number; tombstoneKey?: Uint8Array } = {},
  ) {
    this.cacheSize = o.cacheSize ?? 100_000;
    // Without the data dir's key (tests), tombstones hold only for this store's lifetime.
    this.tombstoneKey = o.tombstoneKey ?? randomBytes(32);
    this.upsert = db.prepare(
      'INSERT INTO customers (customer_id, body, updated_at) VALUES (?, ?, ?) ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
    );
    this.select = db.prepare('SELECT body FROM customers WHERE customer_id = ?');
    this.page = db.prepare('SELECT body FROM customers WHERE customer_id > ? ORDER BY customer_id LIMIT ?');
    this.firstPage = db.prepare('SELECT body FROM customers ORDER BY customer_id LIMIT ?');
    this.hashOldTombstones(o.tombstoneKey !== undefined);
    this.erased = new Set((db.prepare('SELECT id_hash FROM erased_customer_hashes').all() as { id_hash: string }[]).map((r) => r.id_hash));
  }

  async upsertMany(customers: readonly Customer[], updatedAt: number): Promise<void> {
    this.db.transaction(() => {
      for (const c of customers) this.upsert.run(c.customerId, JSON.stringify(c), updatedAt);
    })();
    for (const c of customers) this.cache.delete(c.customerId);
  }

  async getMany(ids: readonly string[]): Promise<(Customer | undefined)[]> {
    return ids.map((id) => {
      const hit = this.cache.get(id);
      if (hit) {
        this.cache.delete(id);
        this.cache.set(id, hit);
        return hit;
      }
      const row = this.select.get(id) as { body: string } | undefined;
      if (!row) return undefined;
      const c = deepFreeze(JSON.parse(row.body) as Customer);
      this.cache.set(id, c);
      if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
      return c;
    });
  }

  async list(o: { afterId?: string; limit: number }): Promise<Customer[]> {
    const rows = (o.afterId === undefined ? this.firstPage.all(o.limit) : this.page.all(o.afterId, o.limit)) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as Customer);
  }

  async erase(id: string, erasedAt: number): Promise<boolean> {
    const result = this.db.transaction(() => {
      const had = this.db.prepare('DELETE FROM customers WHERE customer_id = ?').run(id).changes > 0;
      this.db.prepare('INSERT OR IGNORE INTO erased_customer_hashes (id_hash, erased_at) VALUES (?, ?)').run(tombstoneOf(this.tombstoneKey, id), erasedAt);
      return had;
    })();
    this.erased.add(tombstoneOf(this.tombstoneKey, id));
    this.cache.delete(id);
    return result;
  }

  async erasedAmong(ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (this.erased.size === 0) return out;
    for (const id of ids) if (this.erased.has(tombstoneOf(this.tombstoneKey, id))) out.add(id);
    return out;
  }

  /** Tombstones written before they were hashed kept the raw id: hash them and drop the ids. */
  private hashOldTombstones(keyKept: boolean): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS erased_customer_hashes (id_hash TEXT PRIMARY KEY, erased_at INTEGER NOT NULL)');
    if (!keyKept) return;
    const old = this.db.prepare('SELECT customer_id, erased_at FROM erased_customers').all() as { customer_id: string; erased_at: number }[];
    if (old.length === 0) return;
    this.db.transaction(() => {
      const put = this.db.prepare('INSERT OR IGNORE INTO erased_customer_hashes (id_hash, erased_at) VALUES (?, ?)');
      for (const r of old) put.run(tombstoneOf(this.tombstoneKey, r.customer_id), r.erased_at);
      this.db.prepare('DELETE FROM erased_customers').run();
    })();
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM customers').get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
