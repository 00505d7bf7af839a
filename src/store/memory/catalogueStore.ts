import { canonicalJson } from '../../core/canonical.js';
import { catalogueChanged, versionClash, type CatalogueStore, type CatalogueVersionInfo, type NewCatalogueVersion, type StoredCatalogueVersion } from '../catalogueStore.js';

/**
 * Catalogue versions in memory (tests, `store: memory`). Bodies are kept as canonical JSON,
 * as the SQLite adapter keeps them, so both hand back the same objects.
 */
export class MemoryCatalogueStore implements CatalogueStore {
  private readonly versions = new Map<string, CatalogueVersionInfo & { body: string }>();
  private current: string | undefined;

  async commit(next: NewCatalogueVersion, expected: string | null): Promise<CatalogueVersionInfo> {
    if ((this.current ?? null) !== expected) throw catalogueChanged(expected, this.current);
    const body = canonicalJson(next.catalogue);
    const had = this.versions.get(next.version);
    if (had && had.body !== body) throw versionClash(next.version);
    const record = had ?? { version: next.version, createdAt: next.createdAt, author: next.author, source: next.source, replaces: expected, body };
    if (!had) this.versions.set(next.version, record);
    this.current = next.version;
    return info(record);
  }

  async currentVersion(): Promise<string | undefined> {
    return this.current;
  }

  async get(version: string): Promise<StoredCatalogueVersion | undefined> {
    const v = this.versions.get(version);
    return v ? { ...info(v), catalogue: JSON.parse(v.body) as unknown } : undefined;
  }

  async list(options: { limit?: number } = {}): Promise<CatalogueVersionInfo[]> {
    // Map order is insertion order: the most recently stored last.
    return [...this.versions.values()].reverse().slice(0, options.limit ?? Infinity).map(info);
  }

  async close(): Promise<void> {}
}

function info(v: CatalogueVersionInfo): CatalogueVersionInfo {
  return { version: v.version, createdAt: v.createdAt, author: v.author, source: v.source, replaces: v.replaces };
}
