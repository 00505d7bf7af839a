import type { NewReject, RejectedItem, RejectStore } from '../rejectStore.js';

/** The quarantine in memory. Items are copied in and out, as a database would. */
export class MemoryRejectStore implements RejectStore {
  private items: RejectedItem[] = [];
  private nextId = 1;

  async addMany(items: readonly NewReject[]): Promise<void> {
    for (const item of items) this.items.push({ ...structuredClone(item), id: this.nextId++ });
  }
  async list(options: { limit: number; beforeId?: number; source?: string }): Promise<RejectedItem[]> {
    return this.items
      .filter((r) => (options.beforeId === undefined || r.id < options.beforeId) && (options.source === undefined || r.source === options.source))
      .reverse()
      .slice(0, options.limit)
      .map((r) => structuredClone(r));
  }
  async count(): Promise<number> {
    return this.items.length;
  }
  async listCustomer(customerId: string, limit: number): Promise<RejectedItem[]> {
    return this.items.filter((r) => r.customerId === customerId).reverse().slice(0, limit).map((r) => structuredClone(r));
  }
  async purge(o: { receivedBefore?: number; keepNewest?: number }): Promise<number> {
    const before = this.items.length;
    if (o.receivedBefore !== undefined) this.items = this.items.filter((r) => r.receivedAt >= o.receivedBefore!);
    if (o.keepNewest !== undefined && this.items.length > o.keepNewest) this.items = this.items.slice(this.items.length - o.keepNewest);
    return before - this.items.length;
  }
  async eraseCustomer(customerId: string): Promise<number> {
    const before = this.items.length;
    this.items = this.items.filter((r) => r.customerId !== customerId);
    return before - this.items.length;
  }
  async close(): Promise<void> {}
}
