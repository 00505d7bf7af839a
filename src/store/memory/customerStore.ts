import type { Customer } from '../../core/customer.js';
import { randomBytes } from 'node:crypto';
import { tombstoneOf, type CustomerStore } from '../customerStore.js';

/** Customer records in memory. */
export class MemoryCustomerStore implements CustomerStore {
  private readonly customers = new Map<string, Customer>();
  /** Tombstones: keyed hashes of erased ids. */
  private readonly erased = new Set<string>();
  constructor(private readonly tombstoneKey: Uint8Array = randomBytes(32)) {}

  async upsertMany(customers: readonly Customer[]): Promise<void> {
    for (const c of customers) this.customers.set(c.customerId, structuredClone(c));
  }
  async getMany(ids: readonly string[]): Promise<(Customer | undefined)[]> {
    return ids.map((id) => {
      const c = this.customers.get(id);
      return c ? structuredClone(c) : undefined;
    });
  }
  async list(o: { afterId?: string; limit: number }): Promise<Customer[]> {
    // Sorted per call: the memory store is for tests and demos, not a large book.
    const ids = [...this.customers.keys()].filter((id) => o.afterId === undefined || id > o.afterId).sort(byCodeUnit);
    return ids.slice(0, o.limit).map((id) => structuredClone(this.customers.get(id)!));
  }
  async erase(id: string): Promise<boolean> {
    const had = this.customers.delete(id);
    this.erased.add(tombstoneOf(this.tombstoneKey, id));
    return had;
  }
  async erasedAmong(ids: readonly string[]): Promise<Set<string>> {
    if (this.erased.size === 0) return new Set();
    return new Set(ids.filter((id) => this.erased.has(tombstoneOf(this.tombstoneKey, id))));
  }
  async count(): Promise<number> {
    return this.customers.size;
  }
  async close(): Promise<void> {}
}

/** SQLite's BINARY collation on ASCII ids, which the two stores' pages must agree on. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
