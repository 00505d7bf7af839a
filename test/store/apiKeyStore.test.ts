import { describe, it, expect } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryApiKeyStore } from '../../src/store/memory/apiKeyStore.js';
import { SqliteApiKeyStore } from '../../src/store/sqlite/apiKeyStore.js';
import { apiKey as key, apiKeyStoreContract } from './apiKeyStore.contract.js';

apiKeyStoreContract('memory', async () => ({ store: new MemoryApiKeyStore() }));
apiKeyStoreContract('sqlite', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'nb-keys-')), 'keys.db');
  return { store: new SqliteApiKeyStore(path), reopen: async () => new SqliteApiKeyStore(path) };
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
