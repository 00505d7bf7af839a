import { describe, it, expect } from 'vitest';
import { FeatureSet } from '../../src/features/featureSet.js';
import { BANK_PACK } from '../../src/features/bankPack.js';
import { OnlineFeatureStore } from '../../src/features/online.js';
import { MemoryEventLog } from '../../src/store/memory/eventLog.js';
import { MemoryProfileStore } from '../../src/store/memory/profileStore.js';
import { appendItems, generateEvents } from './generate.js';

/** The same events through an unbounded store and one held to a small budget give the same profiles. */
describe('online state within a memory budget', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: drops the least recently used, reads them back, and answers exactly as unbounded`, async () => {
      const fs = FeatureSet.compile(BANK_PACK);
      const { arrival } = generateEvents(seed, { customers: 120, days: 60 });
      const log = new MemoryEventLog();
      await log.appendMany(appendItems(arrival), 0);
      const stored = await log.readAfter(0, arrival.length);
      const free = new OnlineFeatureStore(fs, new MemoryProfileStore(), { checkpointEvents: 1_000_000 });
      const tightStore = new MemoryProfileStore();
      // A decoded cache smaller than the budget, so states also leave it (packed) between evictions.
      const tight = new OnlineFeatureStore(fs, tightStore, { checkpointEvents: 1_000_000, maxCustomersInMemory: 20, decodedCacheSize: 8 });
      await free.open();
      await tight.open();
      let peak = 0;
      for (let i = 0; i < stored.length; i += 97) {
        const batch = stored.slice(i, i + 97);
        await free.apply(batch);
        await tight.apply(batch);
        peak = Math.max(peak, tight.customersInMemory);
      }
      // A batch of at most 97 events can bring its customers in before the budget is enforced after it.
      expect(tight.customersInMemory).toBeLessThanOrEqual(20);
      expect(tight.memory.evicted).toBeGreaterThan(100);
      expect(peak).toBeLessThanOrEqual(20 + 97);
      const ids = [...new Set(arrival.map((e) => e.customerId))];
      for (const id of ids) expect(await tight.values(id)).toEqual(await free.values(id));
      // Reads of cold customers past the budget are answered but not cached.
      expect(tight.customersInMemory).toBeLessThanOrEqual(20);

      // A restart from the store's checkpoint replays only what it did not commit, and agrees.
      const again = new OnlineFeatureStore(fs, tightStore, { maxCustomersInMemory: 20 });
      await again.start(log);
      for (const id of ids) expect(await again.values(id)).toEqual(await free.values(id));
    });
  }

  it('a checkpoint drops customers the store says were erased instead of saving them back', async () => {
    const fs = FeatureSet.compile(BANK_PACK);
    const { arrival } = generateEvents(4, { customers: 10, days: 20 });
    const log = new MemoryEventLog();
    await log.appendMany(appendItems(arrival), 0);
    const stored = await log.readAfter(0, arrival.length);
    const ids = [...new Set(arrival.map((e) => e.customerId))];
    const gone = ids[0]!;
    const store = new MemoryProfileStore();
    const asked: string[][] = [];
    const online = new OnlineFeatureStore(fs, store, { checkpointEvents: 1_000_000, erasedAmong: async (among) => (asked.push([...among]), new Set(among.filter((id) => id === gone))) });
    await online.open();
    await online.apply(stored);
    await online.checkpoint();
    expect(asked.at(-1)).toContain(gone);
    expect((await store.getMany([gone]))[0]).toBeUndefined();
    for (const id of ids.slice(1)) expect((await store.getMany([id]))[0]).toBeDefined();
    expect(online.customersInMemory).toBe(ids.length - 1);
  });

  it('refuses a budget below one', () => {
    expect(() => new OnlineFeatureStore(FeatureSet.compile(BANK_PACK), new MemoryProfileStore(), { maxCustomersInMemory: 0 })).toThrow(/at least 1/);
  });
});
