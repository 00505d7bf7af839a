import { describe, it, expect } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLive, type ApiKeyRecord, type ApiKeyStore } from '../../src/store/apiKeyStore.js';
import { MemoryApiKeyStore } from '../../src/store/memory/apiKeyStore.js';
import { SqliteApiKeyStore } from '../../src/store/sqlite/apiKeyStore.js';

const key = (id: string, createdAt: number, o: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({ id, name: `k-${id}`, scopes: ['events:write'], hash: 'a'.repeat(64), createdAt, expiresAt: null, revokedAt: null, ...o });

/** One contract for every adapter of the port. */
const adapters: [string, () => { store: ApiKeyStore; reopen?: () => ApiKeyStore }][] = [
  ['memory', () => ({ store: new MemoryApiKeyStore() })],
  [
    'sqlite',
    () => {
      const path = join(mkdtempSync(join(tmpdir(), 'nb-keys-')), 'keys.db');
      return { store: new SqliteApiKeyStore(path), reopen: () => new SqliteApiKeyStore(path) };
    },
  ],
];

describe.each(adapters)('ApiKeyStore contract: %s', (_name, open) => {
  it('adds, reads, lists newest first, revokes once, and refuses a duplicate id', async () => {
    const { store, reopen } = open();
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
      const again = reopen();
      expect((await again.list()).map((k) => `${k.id}:${k.revokedAt}`)).toEqual(['bbb:2500', 'aaa:null']);
      await again.close();
    }
  });
});

describe('SqliteApiKeyStore', () => {
  it('keeps its file and its WAL readable by the owner only', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-keys-')), 'sub', 'keys.db');
    const store = new SqliteApiKeyStore(path);
    await store.add(key('ccc', 1));
    for (const f of [path, `${path}-wal`]) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    await store.close();
  });
});
