import type { ApiKeyRecord, ApiKeyStore } from '../apiKeyStore.js';

/** API keys in memory (tests, the memory store): lost on restart. */
export class MemoryApiKeyStore implements ApiKeyStore {
  private readonly keys = new Map<string, ApiKeyRecord>();

  async add(record: ApiKeyRecord): Promise<void> {
    if (this.keys.has(record.id)) throw new Error(`api key ${record.id} exists`);
    this.keys.set(record.id, { ...record, scopes: [...record.scopes] });
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const k = this.keys.get(id);
    return k && { ...k, scopes: [...k.scopes] };
  }

  async list(): Promise<ApiKeyRecord[]> {
    return [...this.keys.values()].map((k) => ({ ...k, scopes: [...k.scopes] })).sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const k = this.keys.get(id);
    if (!k || k.revokedAt !== null) return false;
    k.revokedAt = at;
    return true;
  }

  async close(): Promise<void> {}
}
