import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { ExperimentStore } from '../../src/store/experimentStore.js';

/** The one contract every ExperimentStore adapter passes (STYLE.md 11). */
export function experimentStoreContract(name: string, open: () => Promise<ExperimentStore>): void {
  describe(`ExperimentStore contract: ${name}`, () => {
    let store: ExperimentStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      expect(await store.list()).toEqual([]);
      expect(await store.get('x')).toBeUndefined();
      expect(await store.settings()).toBeUndefined();
      expect(await store.remove('x', 1)).toBe(false);
    });

    it('creates at revision 1, updates to 2, keeps createdAt, returns fresh copies', async () => {
      const a = await store.put('cc-test', { arms: [{ name: 'a' }], b: 1 }, 0, 100);
      expect(a).toEqual({ id: 'cc-test', revision: 1, createdAt: 100, updatedAt: 100, definition: { arms: [{ name: 'a' }], b: 1 } });
      const b = await store.put('cc-test', { b: 2 }, 1, 200);
      expect(b).toEqual({ id: 'cc-test', revision: 2, createdAt: 100, updatedAt: 200, definition: { b: 2 } });
      const got = await store.get('cc-test');
      (got!.definition as { b: number }).b = 99;
      expect((await store.get('cc-test'))!.definition).toEqual({ b: 2 });
    });

    it('compare-and-set: a stale revision gets CONFLICT and stores nothing; creating twice is a CONFLICT', async () => {
      await store.put('e1', { n: 1 }, 0, 1);
      await expect(store.put('e1', { n: 'again' }, 0, 2)).rejects.toMatchObject({ code: 'CONFLICT' });
      await store.put('e1', { n: 2 }, 1, 3);
      await expect(store.put('e1', { n: 3 }, 1, 4)).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(store.put('e2', { n: 1 }, 3, 4)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.get('e1')).toMatchObject({ revision: 2, definition: { n: 2 } });
      expect(await store.get('e2')).toBeUndefined();
    });

    it('of two edits from one revision started together, exactly one wins', async () => {
      await store.put('e1', { n: 1 }, 0, 1);
      const results = await Promise.allSettled([store.put('e1', { n: 'a' }, 1, 2), store.put('e1', { n: 'b' }, 1, 2)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await store.get('e1'))!.revision).toBe(2);
    });

    it('lists oldest first; remove needs the current revision', async () => {
      await store.put('b', { i: 1 }, 0, 1);
      await store.put('a', { i: 2 }, 0, 2);
      await store.put('b', { i: 3 }, 1, 3);
      expect((await store.list()).map((e) => e.id)).toEqual(['b', 'a']);
      await expect(store.remove('b', 1)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.remove('b', 2)).toBe(true);
      expect((await store.list()).map((e) => e.id)).toEqual(['a']);
    });

    it('keeps the settings, replaced whole', async () => {
      await store.putSettings({ universalControl: { salt: 'ucg', share: 0.02 } });
      expect(await store.settings()).toEqual({ universalControl: { salt: 'ucg', share: 0.02 } });
      await store.putSettings({});
      expect(await store.settings()).toEqual({});
    });
  });
}
