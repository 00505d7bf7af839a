import type { ProfileCheckpoint, ProfileSnapshot, ProfileStore } from '../profileStore.js';

/** Saved feature states in memory: for tests and simulations. */
export class MemoryProfileStore implements ProfileStore {
  private readonly states = new Map<string, Uint8Array>();
  private saved: ProfileCheckpoint | undefined;

  async getMany(customerIds: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    return customerIds.map((id) => {
      const s = this.states.get(id);
      return s ? s.slice() : undefined;
    });
  }

  async commit(batch: { put: readonly ProfileSnapshot[]; remove: readonly string[]; checkpoint: ProfileCheckpoint }): Promise<void> {
    for (const p of batch.put) this.states.set(p.customerId, p.state.slice());
    for (const id of batch.remove) this.states.delete(id);
    this.saved = { ...batch.checkpoint };
  }

  async checkpoint(): Promise<ProfileCheckpoint | undefined> {
    return this.saved ? { ...this.saved } : undefined;
  }

  async *customerIds(batchSize = 1000): AsyncIterable<string[]> {
    const ids = [...this.states.keys()].sort();
    for (let i = 0; i < ids.length; i += batchSize) yield ids.slice(i, i + batchSize);
  }

  async clear(): Promise<void> {
    this.states.clear();
    this.saved = undefined;
  }

  async count(): Promise<number> {
    return this.states.size;
  }

  async close(): Promise<void> {}
}
