import { describe, it, expect } from 'vitest';
import { isLive, type ApiKeyRecord, type ApiKeyStore } from '../../src/store/apiKeyStore.js';

const key = (id: string, createdAt: number, o: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({ id, name: `k-${id}`, scopes: ['events:write'], hash: 'a'.repeat(64), createdAt, expiresAt: null, revokedAt: null, ...o });

/** The one contract every ApiKeyStore adapter passes; `reopen` (when given) opens the same data again. */
export function apiKeyStoreContract(name: string, open: () => Promise<{ store: ApiKeyStore; reopen?: () => Promise<ApiKeyStore> }>): void {
  describe(`ApiKeyStore contract: ${name}`, () => {
    it('adds, reads, lists newest first, revokes once, and refuses a duplicate id', async () => {
      const { store, reopen } = await open();
      await store.add(key('aaa', 1000, { scopes: ['admin'], expiresAt: 5000 }));
      await store.add(key('bbb', 2000));
      await expect(store.add(key('bbb', 3000))).rejects.toThrow();
      expect(await store.get('aaa')).toEqual(key('aaa', 1000, { scopes: ['admin'], expiresAt: 5000 }));
      expect(await store.get('zzz')).toBeUndefined();
      expect((await store.list()).map((k) => k.id)).toEqual(['bbb', 'aaa']);
      expect(await store.revoke('bbb', 2500)).toBe(true);
      expect(await store.revoke('bbb', 2600)).toBe(false);
      expect(await store.revoke('zzz', 2600)).toBe(false);
      expect((await store.get('bbb'))!.revokedAt).toBe(2500);
      // A copy comes back: changing it changes nothing stored.
      (await store.get('aaa'))!.scopes.push('privacy');
      expect((await store.get('aaa'))!.scopes).toEqual(['admin']);
      const a = (await store.get('aaa'))!;
      expect([isLive(a, 4999), isLive(a, 5000), isLive((await store.get('bbb'))!, 2400)]).toEqual([true, false, false]);
      await store.close();
      if (reopen) {
        const again = await reopen();
        expect((await again.list()).map((k) => `${k.id}:${k.revokedAt}`)).toEqual(['bbb:2500', 'aaa:null']);
        await again.close();
      }
    });
  });
}

export { key as apiKey };
