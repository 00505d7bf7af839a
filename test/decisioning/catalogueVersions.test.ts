import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, afterEach } from 'vitest';
import { catalogueVersion, type Catalogue } from '../../src/decisioning/index.js';
import type { CatalogueStore } from '../../src/store/catalogueStore.js';
import { MemoryCatalogueStore } from '../../src/store/memory/catalogueStore.js';
import { MemoryDecisionLog } from '../../src/store/memory/decisionLog.js';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteCatalogueStore } from '../../src/store/sqlite/catalogueStore.js';
import { rig, scenarioCatalogue } from './rig.js';

const chosen = (r: { chosen: { actionId: string }[] }) => r.chosen.map((c) => c.actionId);
const opened: CatalogueStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});
/** A SQLite file and a way to open another connection to it (another process). */
function sqliteFile() {
  const path = join(mkdtempSync(join(tmpdir(), 'nb-catv-')), 'db.sqlite');
  return () => {
    const s = new SqliteCatalogueStore(openSqlite(path));
    opened.push(s);
    return s;
  };
}
/** The scenario catalogue with the saver worth more than the card: the saver wins for a plain customer. */
const saverFirst = (c: Catalogue = scenarioCatalogue()) => c.actions.find((a) => a.id === 'saver')!;
const richerSaver = () => ({ ...saverFirst(), value: { model: 'margin' as const, amountGbp: 5000 } });

describe('a stored, versioned catalogue', () => {
  it('an empty store gets the given catalogue as its first version; a later start keeps the stored one', async () => {
    const store = new MemoryCatalogueStore();
    const seed = scenarioCatalogue();
    const a = rig({ catalogues: store });
    expect(await a.d.syncCatalogue()).toEqual({ version: catalogueVersion(seed), seedVersion: catalogueVersion(seed), seeded: true, seedIgnored: false });
    expect(await store.list()).toEqual([{ version: catalogueVersion(seed), createdAt: a.clock.now(), author: null, source: 'config', replaces: null }]);

    const edited = await a.d.putAction(richerSaver(), { author: 'ana' });
    // Restarted with the same YAML: the stored (edited) version stays, and the YAML is not news.
    const b = rig({ catalogues: store });
    expect(await b.d.syncCatalogue()).toEqual({ version: edited.catalogueVersion, seedVersion: catalogueVersion(seed), seeded: false, seedIgnored: false });
    expect(b.d.action('saver').value.amountGbp).toBe(5000);

    // Restarted with a changed YAML: the stored version still wins, and the caller hears the YAML was ignored.
    const changed = { ...seed, featureLabels: { idle_cash: 'cash you are not using' } };
    const c = rig({ catalogues: store, catalogue: changed });
    expect(await c.d.syncCatalogue()).toMatchObject({ version: edited.catalogueVersion, seedVersion: catalogueVersion(changed), seeded: false, seedIgnored: true });
    expect(c.d.catalogueVersion).toBe(edited.catalogueVersion);
    expect((await store.list()).length).toBe(2);
  });

  it('every edit is a stored version that names the one it replaced; levers are part of the catalogue', async () => {
    const store = new MemoryCatalogueStore();
    const { d, customer } = rig({ catalogues: store });
    customer({ customerId: 'c1' });
    const v0 = (await d.syncCatalogue()).version;
    const put = await d.putAction(richerSaver(), { author: 'ana' });
    expect(put).toMatchObject({ created: false, catalogueVersion: d.catalogueVersion });
    const levers = await d.setLevers({ families: { credit_card: 100 } });
    expect(levers).toEqual({ families: { credit_card: 100 }, actions: {} });
    const v2 = d.catalogueVersion;
    const del = await d.deleteAction('spring');
    const versions = await store.list();
    expect(versions.map((v) => [v.version, v.replaces, v.author])).toEqual([
      [del.catalogueVersion, v2, null],
      [v2, put.catalogueVersion, null],
      [put.catalogueVersion, v0, 'ana'],
      [v0, null, null],
    ]);
    expect(((await store.get(v2))!.catalogue as Catalogue).levers).toEqual({ families: { credit_card: 100 }, actions: {} });
    const r = await d.decide({ customerId: 'c1', channel: 'in_app' });
    expect(r.catalogueVersion).toBe(del.catalogueVersion);
    expect(r.levers).toEqual({ families: { credit_card: 100 }, actions: {} });
  });

  it('a bad edit or one based on an older version stores nothing', async () => {
    const store = new MemoryCatalogueStore();
    const { d } = rig({ catalogues: store });
    const v0 = (await d.syncCatalogue()).version;
    await expect(d.putAction({ ...richerSaver(), policies: [{ kind: 'eligibility', when: 'customer.age >', reason: 'x' }] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(d.putAction({ ...richerSaver(), policies: ['no_such_policy'] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(d.setLevers({ families: { savings: 101 } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(d.deleteAction('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await d.putAction(richerSaver(), { expectedVersion: v0 });
    await expect(d.deleteAction('card', { expectedVersion: v0 })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await store.list()).length).toBe(2);
    expect(d.action('card').id).toBe('card');
  });

  it('two processes on one SQLite file: each sees the other’s edit within the refresh interval, and no edit is lost', async () => {
    const open = sqliteFile();
    const a = rig({ catalogues: open() });
    const b = rig({ catalogues: open() });
    a.customer({ customerId: 'c1' });
    b.customer({ customerId: 'c1' });
    b.customer({ customerId: 'c2' });
    await a.d.syncCatalogue();
    const v0 = (await b.d.syncCatalogue()).version;
    expect(chosen(await b.d.decide({ customerId: 'c1', channel: 'in_app' }))).toEqual(['card']);

    const { catalogueVersion: v1 } = await a.d.putAction(richerSaver());
    // Within the interval b still decides on what it read; once it has passed, on a's edit.
    b.clock.advance(999);
    expect((await b.d.decide({ customerId: 'c2', channel: 'in_app' })).catalogueVersion).toBe(v0);
    b.clock.advance(1);
    const after = await b.d.decide({ customerId: 'c2', channel: 'email' });
    expect(after.catalogueVersion).toBe(v1);
    expect(chosen(after)).toEqual(['saver']);

    // b has not refreshed since; its edit still builds on a's latest, so both edits are kept.
    await a.d.setLevers({ actions: { fund: 7 } });
    await b.d.deleteAction('spring');
    a.clock.advance(1000);
    await a.d.refreshCatalogue();
    expect(a.d.actions().map((x) => x.id)).toEqual(['card', 'saver', 'fund', 'help']);
    expect(a.d.action('saver').value.amountGbp).toBe(5000);
    expect(a.d.getLevers()).toEqual({ families: {}, actions: { fund: 7 } });
  });

  it('two processes editing at once: one wins, the other gets CONFLICT or builds on the winner; nothing is lost', async () => {
    const open = sqliteFile();
    const a = rig({ catalogues: open() });
    const b = rig({ catalogues: open() });
    await a.d.syncCatalogue();
    await b.d.syncCatalogue();
    const results = await Promise.allSettled([a.d.putAction(richerSaver()), b.d.setLevers({ families: { savings: 9 } })]);
    const final = rig({ catalogues: open() });
    await final.d.syncCatalogue();
    const [put, levers] = results;
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('CONFLICT');
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    expect(final.d.action('saver').value.amountGbp).toBe(put.status === 'fulfilled' ? 5000 : 50);
    expect(final.d.getLevers().families).toEqual(levers.status === 'fulfilled' ? { savings: 9 } : {});
  });

  it('replays a decision made on an older version from the catalogue store, in a process that never had it', async () => {
    const store = new MemoryCatalogueStore();
    const log = new MemoryDecisionLog();
    const a = rig({ catalogues: store, log });
    a.customer({ customerId: 'c1' });
    const old = await a.d.decide({ customerId: 'c1', channel: 'in_app' });
    await a.d.putAction(richerSaver());
    const newer = await a.d.decide({ customerId: 'c1', channel: 'email' });
    expect(newer.catalogueVersion).not.toBe(old.catalogueVersion);
    // A fresh process whose decision log has no catalogue copies (only the profile feature
    // names its compact records refer to): the store has every version.
    const b = rig({ catalogues: store, log: Object.assign(Object.create(log) as MemoryDecisionLog, { getCatalogue: async (v: string) => (v.startsWith('profile-keys:') ? log.getCatalogue(v) : undefined) }) });
    await b.d.syncCatalogue();
    expect(await b.d.replay(old.decisionId)).toMatchObject({ identical: true, differences: [] });
    expect(await b.d.replay(newer.decisionId)).toMatchObject({ identical: true });
  });

  it('falls back to the decision log’s copy for decisions made before the store', async () => {
    const log = new MemoryDecisionLog();
    const before = rig({ log });
    before.customer({ customerId: 'c1' });
    const old = await before.d.decide({ customerId: 'c1', channel: 'in_app' });
    const store = new MemoryCatalogueStore();
    const after = rig({ catalogues: store, log, catalogue: { ...scenarioCatalogue(), featureLabels: {} } });
    await after.d.syncCatalogue();
    expect(await store.get(old.catalogueVersion)).toBeUndefined();
    expect(await after.d.replay(old.decisionId)).toMatchObject({ identical: true });
    expect(await after.d.catalogueAt(old.catalogueVersion)).toEqual(scenarioCatalogue());
  });
});
