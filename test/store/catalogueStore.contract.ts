import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { CatalogueStore, NewCatalogueVersion } from '../../src/store/catalogueStore.js';
import { NextbestError } from '../../src/core/errors.js';

const version = (id: string, body: unknown, at: number, o: Partial<NewCatalogueVersion> = {}): NewCatalogueVersion => ({ version: id, catalogue: body, createdAt: at, author: null, source: 'api', ...o });

/** Resolves to the error's code, or fails the test when the promise resolves. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(NextbestError);
    return (e as NextbestError).code;
  }
  throw new Error('expected a rejection');
}

/** The one contract every CatalogueStore adapter passes (STYLE.md 11). */
export function catalogueStoreContract(name: string, open: () => Promise<CatalogueStore>): void {
  describe(`CatalogueStore contract: ${name}`, () => {
    let store: CatalogueStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty: no current version, unknown versions are undefined', async () => {
      expect(await store.currentVersion()).toBeUndefined();
      expect(await store.get('nope')).toBeUndefined();
      expect(await store.list()).toEqual([]);
    });

    it('stores a version with its time, author, source and the version it replaced, and moves current', async () => {
      const first = await store.commit(version('v1', { actions: [{ id: 'a', weight: 1.5 }], formatVersion: 1 }, 100, { author: 'ops@bank', source: 'config' }), null);
      expect(first).toEqual({ version: 'v1', createdAt: 100, author: 'ops@bank', source: 'config', replaces: null });
      expect(await store.currentVersion()).toBe('v1');
      await store.commit(version('v2', { actions: [{ id: 'b' }], formatVersion: 1 }, 200), 'v1');
      expect(await store.currentVersion()).toBe('v2');
      expect(await store.get('v1')).toEqual({ version: 'v1', createdAt: 100, author: 'ops@bank', source: 'config', replaces: null, catalogue: { actions: [{ id: 'a', weight: 1.5 }], formatVersion: 1 } });
      expect(await store.get('v2')).toMatchObject({ replaces: 'v1', author: null, source: 'api', catalogue: { actions: [{ id: 'b' }] } });
    });

    it('compare-and-set: a commit from a stale current version gets CONFLICT and stores nothing', async () => {
      await store.commit(version('v1', { n: 1 }, 1), null);
      expect(await codeOf(store.commit(version('v0', { n: 0 }, 2), null))).toBe('CONFLICT');
      await store.commit(version('v2', { n: 2 }, 3), 'v1');
      // A second editor that also read v1 loses, and its version is not stored.
      expect(await codeOf(store.commit(version('v3', { n: 3 }, 4), 'v1'))).toBe('CONFLICT');
      expect(await store.currentVersion()).toBe('v2');
      expect(await store.get('v3')).toBeUndefined();
      expect(await store.get('v0')).toBeUndefined();
      expect((await store.list()).map((v) => v.version)).toEqual(['v2', 'v1']);
    });

    it('of two edits from the same version started together, exactly one wins', async () => {
      await store.commit(version('v1', { n: 1 }, 1), null);
      const results = await Promise.allSettled([store.commit(version('a', { n: 'a' }, 2), 'v1'), store.commit(version('b', { n: 'b' }, 2), 'v1')]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((lost.reason as NextbestError).code).toBe('CONFLICT');
      expect(['a', 'b']).toContain(await store.currentVersion());
    });

    it('versions are immutable: stored once, a return to an old version keeps its record, other content under an id is refused', async () => {
      await store.commit(version('v1', { n: 1 }, 1, { author: 'first' }), null);
      await store.commit(version('v2', { n: 2 }, 2), 'v1');
      const back = await store.commit(version('v1', { n: 1 }, 3, { author: 'second', source: 'import' }), 'v2');
      expect(back).toEqual({ version: 'v1', createdAt: 1, author: 'first', source: 'api', replaces: null });
      expect(await store.currentVersion()).toBe('v1');
      expect((await store.list()).map((v) => v.version)).toEqual(['v2', 'v1']);
      expect(await codeOf(store.commit(version('v2', { n: 'changed' }, 4), 'v1'))).toBe('CONFLICT');
      expect(await store.currentVersion()).toBe('v1');
      expect((await store.get('v2'))!.catalogue).toEqual({ n: 2 });
    });

    it('keys in any order are the same content; bodies come back as fresh copies', async () => {
      await store.commit(version('v1', { b: 1, a: { y: 2, x: 1 } }, 1), null);
      await store.commit(version('v1', { a: { x: 1, y: 2 }, b: 1 }, 2), 'v1');
      const got = await store.get('v1');
      (got!.catalogue as { b: number }).b = 99;
      expect((await store.get('v1'))!.catalogue).toEqual({ a: { x: 1, y: 2 }, b: 1 });
    });

    it('lists newest first, with a limit', async () => {
      let current: string | null = null;
      for (let i = 1; i <= 5; i++) {
        await store.commit(version(`v${i}`, { i }, 1000), current);
        current = `v${i}`;
      }
      expect((await store.list()).map((v) => v.version)).toEqual(['v5', 'v4', 'v3', 'v2', 'v1']);
      expect((await store.list({ limit: 2 })).map((v) => v.version)).toEqual(['v5', 'v4']);
      expect((await store.list())[0]).toEqual({ version: 'v5', createdAt: 1000, author: null, source: 'api', replaces: 'v4' });
    });
  });
}
