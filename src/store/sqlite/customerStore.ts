import type { Customer } from '../../core/customer.js';
import type { CustomerStore } from '../customerStore.js';
import type { SqliteDb } from './db.js';

/** Customer records in the embedded database. */
export class SqliteCustomerStore implements CustomerStore {
  /** Tombstones are few and checked on every ingest, so they are held in memory. */
  private readonly erased: Set<string>;

  constructor(private readonly db: SqliteDb) {
    this.erased = new Set((db.prepare('SELECT customer_id FROM erased_customers').all() as { customer_id: string }[]).map((r) => r.customer_id));
  }

  async upsertMany(customers: readonly Customer[], updatedAt: number): Promise<void> {
    const stmt = this.db.prepare(
      'INSERT INTO customers (customer_id, body, updated_at) VALUES (?, ?, ?) ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
    );
    this.db.transaction(() => {
      for (const c of customers) stmt.run(c.customerId, JSON.stringify(c), updatedAt);
    })();
  }

  async getMany(ids: readonly string[]): Promise<(Customer | undefined)[]> {
    const stmt = this.db.prepare('SELECT body FROM customers WHERE customer_id = ?');
    return ids.map((id) => {
      const row = stmt.get(id) as { body: string } | undefined;
      return row ? (JSON.parse(row.body) as Customer) : undefined;
    });
  }

  async erase(id: string, erasedAt: number): Promise<boolean> {
    const result = this.db.transaction(() => {
      const had = this.db.prepare('DELETE FROM customers WHERE customer_id = ?').run(id).changes > 0;
      this.db.prepare('INSERT OR IGNORE INTO erased_customers (customer_id, erased_at) VALUES (?, ?)').run(id, erasedAt);
      return had;
    })();
    this.erased.add(id);
    return result;
  }

  async erasedAmong(ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (this.erased.size === 0) return out;
    for (const id of ids) if (this.erased.has(id)) out.add(id);
    return out;
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM customers').get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
