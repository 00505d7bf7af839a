import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { ProfileStore } from '../../src/store/profileStore.js';

const bytes = (...xs: number[]) => new Uint8Array(xs);

/** The one contract every ProfileStore adapter passes (STYLE.md 11). */
export function profileStoreContract(name: string, open: () => Promise<ProfileStore>): void {
  describe(`ProfileStore contract: ${name}`, () => {
    let store: ProfileStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty with no checkpoint', async () => {
      expect(await store.checkpoint()).toBeUndefined();
      expect(await store.count()).toBe(0);
      expect(await store.getMany(['c1'])).toEqual([undefined]);
    });

    it('commits states and the checkpoint together and reads them back in the order asked', async () => {
      await store.commit({ put: [{ customerId: 'c1', state: bytes(1, 2, 3) }, { customerId: 'c2', state: bytes(9) }], remove: [], checkpoint: { seq: 7, version: 'v1' } });
      expect(await store.checkpoint()).toEqual({ seq: 7, version: 'v1' });
      const got = await store.getMany(['c2', 'nobody', 'c1']);
      expect(got.map((g) => (g ? [...g] : undefined))).toEqual([[9], undefined, [1, 2, 3]]);
      expect(await store.count()).toBe(2);
    });

    it('overwrites a state, removes erased customers and moves the checkpoint forward', async () => {
      await store.commit({ put: [{ customerId: 'c1', state: bytes(1) }, { customerId: 'c2', state: bytes(2) }], remove: [], checkpoint: { seq: 1, version: 'v1' } });
      await store.commit({ put: [{ customerId: 'c1', state: bytes(5, 5) }], remove: ['c2'], checkpoint: { seq: 2, version: 'v1' } });
      const got = await store.getMany(['c1', 'c2']);
      expect(got[0] && [...got[0]]).toEqual([5, 5]);
      expect(got[1]).toBeUndefined();
      expect(await store.checkpoint()).toEqual({ seq: 2, version: 'v1' });
    });

    it('does not let a caller change a saved state through the array it passed or got', async () => {
      const s = bytes(1, 2);
      await store.commit({ put: [{ customerId: 'c1', state: s }], remove: [], checkpoint: { seq: 1, version: 'v' } });
      s[0] = 99;
      const [a] = await store.getMany(['c1']);
      a![1] = 77;
      const [b] = await store.getMany(['c1']);
      expect([...b!]).toEqual([1, 2]);
    });

    it('lists every customer id in pages and clears everything', async () => {
      const put = Array.from({ length: 25 }, (_, i) => ({ customerId: `c${String(i).padStart(2, '0')}`, state: bytes(i) }));
      await store.commit({ put, remove: [], checkpoint: { seq: 25, version: 'v' } });
      const pages: string[][] = [];
      for await (const page of store.customerIds(10)) pages.push(page);
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      expect(pages.flat()).toEqual(put.map((p) => p.customerId));
      await store.clear();
      expect(await store.count()).toBe(0);
      expect(await store.checkpoint()).toBeUndefined();
    });
  });
}
