import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { ConsumerCheckpoints } from '../../src/store/consumer.js';

/** The one contract every ConsumerCheckpoints adapter passes (STYLE.md 11). */
export function consumerCheckpointsContract(name: string, open: () => Promise<{ store: ConsumerCheckpoints; reopen?: () => Promise<ConsumerCheckpoints> }>): void {
  describe(`ConsumerCheckpoints contract: ${name}`, () => {
    let opened: Awaited<ReturnType<typeof open>>;
    beforeEach(async () => {
      opened = await open();
    });
    afterEach(async () => {
      await opened.store.close();
    });

    it('has no checkpoint before the first put', async () => {
      expect(await opened.store.get('features')).toBeUndefined();
      expect(await opened.store.list()).toEqual([]);
    });

    it('keeps one seq per consumer, by name', async () => {
      await opened.store.put('responses', 10);
      await opened.store.put('triggers', 3);
      await opened.store.put('responses', 12);
      expect(await opened.store.get('responses')).toBe(12);
      expect(await opened.store.get('triggers')).toBe(3);
      expect(await opened.store.list()).toEqual([
        { name: 'responses', seq: 12 },
        { name: 'triggers', seq: 3 },
      ]);
    });

    it('never moves a checkpoint back', async () => {
      await opened.store.put('responses', 12);
      await opened.store.put('responses', 5);
      expect(await opened.store.get('responses')).toBe(12);
    });

    it('survives a reopen (durable adapters)', async () => {
      if (!opened.reopen) return;
      await opened.store.put('responses', 42);
      const again = await opened.reopen();
      expect(await again.get('responses')).toBe(42);
      await again.close();
    });
  });
}
