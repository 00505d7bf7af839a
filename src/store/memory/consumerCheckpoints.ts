import type { ConsumerCheckpoint, ConsumerCheckpoints } from '../consumer.js';

/** Consumer checkpoints in memory (tests, simulations). */
export class MemoryConsumerCheckpoints implements ConsumerCheckpoints {
  private readonly saved = new Map<string, number>();

  async get(name: string): Promise<number | undefined> {
    return this.saved.get(name);
  }

  async put(name: string, seq: number): Promise<void> {
    if (seq > (this.saved.get(name) ?? Number.NEGATIVE_INFINITY)) this.saved.set(name, seq);
  }

  async list(): Promise<ConsumerCheckpoint[]> {
    return [...this.saved].map(([name, seq]) => ({ name, seq })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async close(): Promise<void> {}
}
