import type { Customer } from '../../core/customer.js';
import type { CustomerStore } from '../customerStore.js';

/** Customer records in memory. */
export class MemoryCustomerStore implements CustomerStore {
  private readonly customers = new Map<string, Customer>();
  private readonly erased = new Set<string>();

  async upsertMany(customers: readonly Customer[]): Promise<void> {
    for (const c of customers) this.customers.set(c.customerId, structuredClone(c));
  }
  async getMany(ids: readonly string[]): Promise<(Customer | undefined)[]> {
    return ids.map((id) => {
      const c = this.customers.get(id);
      return c ? structuredClone(c) : undefined;
    });
  }
  async erase(id: string): Promise<boolean> {
    const had = this.customers.delete(id);
    this.erased.add(id);
    return had;
  }
  async erasedAmong(ids: readonly string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => this.erased.has(id)));
  }
  async count(): Promise<number> {
    return this.customers.size;
  }
  async close(): Promise<void> {}
}
