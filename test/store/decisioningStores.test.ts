import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { MemoryContactStore } from '../../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../../src/store/memory/decisionLog.js';
import { SqliteContactStore } from '../../src/store/sqlite/contactStore.js';
import { SqliteDecisionLog } from '../../src/store/sqlite/decisionLog.js';
import { WorkerSqliteDecisionLog } from '../../src/store/sqlite/decisionLogWorker.js';
import { DECISION_LOG_MIGRATIONS } from '../../src/store/sqlite/decisionLog.js';
import { contactStoreContract } from './contactStore.contract.js';
import { decisionLogContract } from './decisionLog.contract.js';

const db = () => openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-dec-')), 'db.sqlite'));
contactStoreContract('memory', async () => new MemoryContactStore());
contactStoreContract('sqlite', async () => new SqliteContactStore(db()));
decisionLogContract('memory', async () => new MemoryDecisionLog());
decisionLogContract('sqlite', async () => new SqliteDecisionLog(db()));
decisionLogContract('sqlite, written by a worker thread', async () => new WorkerSqliteDecisionLog(join(mkdtempSync(join(tmpdir(), 'nb-declog-')), 'decision-log.db')));

describe('decision log written by a worker thread', () => {
  const decision = (id: string, customerId: string, at: number) => ({ decisionId: id, customerId, channel: 'email', decidedAt: at, catalogueVersion: 'v1', chosenActions: ['a'], record: { id, chosen: [{ actionId: 'a' }] } });

  it('commits concurrent appends in batches, fails a duplicate alone, and keeps everything across a reopen', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-declog-')), 'decision-log.db');
    const log = new WorkerSqliteDecisionLog(path);
    const results = await Promise.allSettled([...Array.from({ length: 500 }, (_, i) => log.append(decision(`d${i}`, `c${i % 7}`, 1000 + i))), log.append(decision('d3', 'c3', 5))]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((results[500] as PromiseRejectedResult).reason.message).toMatch(/UNIQUE/);
    // An append resolves only once committed: a read right after sees it.
    await log.append(decision('late', 'c1', 9999));
    expect((await log.get('late'))?.record).toEqual({ id: 'late', chosen: [{ actionId: 'a' }] });
    await log.close();
    await expect(log.append(decision('after', 'c1', 1))).rejects.toThrow();

    const again = new WorkerSqliteDecisionLog(path);
    expect(await again.count()).toBe(501);
    expect((await again.get('d3'))?.decidedAt).toBe(1003);
    expect(await again.eraseCustomer('c0')).toBe(72);
    expect(await again.count()).toBe(429);
    await again.close();
  });
});

describe('the chosen actions column (issue 21)', () => {
  it('a log written before the column gets it from its records on open, and the search finds them by action', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-declog-')), 'decision-log.db');
    // The schema as it was (the first two migrations), with rows stored whole.
    const old = openSqlite(path, { migrations: { module: 'decisioning_log', list: DECISION_LOG_MIGRATIONS.slice(0, 2) } });
    const insert = old.prepare('INSERT INTO decisions (decision_id, customer_id, channel, decided_at, catalogue_version, record) VALUES (?, ?, ?, ?, ?, ?)');
    insert.run('o1', 'c1', 'email', 1000, 'v1', JSON.stringify({ chosen: [{ actionId: 'card', rank: 1 }, { actionId: 'saver', rank: 2 }] }));
    insert.run('o2', 'c2', 'email', 2000, 'v1', JSON.stringify({ chosen: [] }));
    insert.run('o3', 'c2', 'email', 3000, 'v1', JSON.stringify({ inputs: {} }));
    old.close();
    const log = new WorkerSqliteDecisionLog(path);
    expect((await log.get('o1'))?.chosenActions).toEqual(['card', 'saver']);
    expect((await log.get('o2'))?.chosenActions).toEqual([]);
    expect((await log.get('o3'))?.chosenActions).toEqual([]);
    await log.append({ decisionId: 'n1', customerId: 'c3', channel: 'email', decidedAt: 4000, catalogueVersion: 'v1', chosenActions: ['saver'], record: { packed: true } });
    expect((await log.search({ actionId: 'saver', limit: 10 })).map((d) => d.decisionId)).toEqual(['n1', 'o1']);
    expect((await log.search({ actionId: 'card', limit: 10 })).map((d) => d.decisionId)).toEqual(['o1']);
    // The worker stores the record deflated; reads give it back as it was appended.
    const raw = openSqlite(path);
    expect(raw.prepare("SELECT typeof(record) AS t FROM decisions WHERE decision_id = 'n1'").get()).toEqual({ t: 'blob' });
    expect((await log.get('n1'))?.record).toEqual({ packed: true });
    // An erasure takes the index rows with the decisions.
    expect(await log.eraseCustomer('c1')).toBe(1);
    expect(raw.prepare("SELECT COUNT(*) AS n FROM decision_actions WHERE decision_id = 'o1'").get()).toEqual({ n: 0 });
    expect((await log.search({ actionId: 'card', limit: 10 })).map((d) => d.decisionId)).toEqual([]);
    raw.close();
    await log.close();
  });
});

describe('SQLite contact store: memory with write-through', () => {
  const contact = (decisionId: string, at: number, family = 'savings') => ({ decisionId, actionId: 'a', family, channel: 'email', at });
  const T = Date.UTC(2026, 2, 1);
  const weekly = { channel: '*' as const, max: 1, periodMs: 7 * 86_400_000 };

  it('a commit is in the file when it resolves; a second store on the file (a restart) sees it and keeps the caps', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-contacts-')), 'db.sqlite');
    const a = new SqliteContactStore(openSqlite(path));
    expect(await a.history('c1', 0)).toEqual({ contacts: [], declines: [] });
    const commits = await Promise.all([a.commit('c1', [contact('d1', T)], [weekly], [{ key: 'k', max: 5 }]), a.commit('c2', [contact('d2', T)], [weekly], [{ key: 'k', max: 5 }])]);
    expect(commits).toEqual([{ ok: true }, { ok: true }]);
    const reader = openSqlite(path);
    expect(reader.prepare('SELECT COUNT(*) AS n FROM contacts').get()).toEqual({ n: 2 });
    expect(reader.prepare('SELECT used FROM capacity_counters').get()).toEqual({ used: 2 });
    await a.recordDecline('c1', { actionId: 'a', family: 'savings', at: T + 1, eventId: 'e1' });
    expect((await a.history('c1', 0)).declines).toEqual([{ actionId: 'a', family: 'savings', at: T + 1, eventId: 'e1' }]);
    const b = new SqliteContactStore(openSqlite(path));
    expect((await b.history('c1', 0)).contacts.map((c) => c.decisionId)).toEqual(['d1']);
    expect(await b.commit('c1', [contact('d3', T + 1000)], [weekly], [])).toEqual({ ok: false, reason: 'cap', cap: weekly });
    expect(await b.capacityUsed(['k'])).toEqual([2]);
  });

  it('with room for one customer in memory, every history and cap check is still right', async () => {
    const store = new SqliteContactStore(db(), { maxCustomers: 1, maxCounters: 1 });
    for (let i = 0; i < 5; i++) expect(await store.commit(`c${i}`, [contact(`d${i}`, T)], [weekly], [{ key: `k${i % 2}`, max: 3 }])).toEqual({ ok: true });
    for (let i = 0; i < 5; i++) expect((await store.history(`c${i}`, 0)).contacts.map((c) => c.decisionId)).toEqual([`d${i}`]);
    expect(await store.commit('c0', [contact('again', T + 1)], [weekly], [])).toEqual({ ok: false, reason: 'cap', cap: weekly });
    expect(await store.capacityUsed(['k0', 'k1'])).toEqual([3, 2]);
    expect(await store.commit('c9', [contact('d9', T)], [], [{ key: 'k0', max: 3 }])).toEqual({ ok: false, reason: 'capacity', key: 'k0' });
    // A history asked for further back than memory holds is read from the file.
    expect(await store.commit('c1', [contact('old', T - 30 * 86_400_000)], [], [])).toEqual({ ok: true });
    expect((await store.history('c1', 0)).contacts.map((c) => c.decisionId)).toEqual(['old', 'd1']);
  });

  it('a confirmation goes with the next commit, or on its own within a moment when none comes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nb-contacts-')), 'db.sqlite');
    const store = new SqliteContactStore(openSqlite(path));
    const reader = openSqlite(path);
    const reserved = () => (reader.prepare('SELECT decision_id FROM contact_reservations ORDER BY decision_id').all() as { decision_id: string }[]).map((r) => r.decision_id);
    expect(await store.commit('c1', [contact('d1', T)], [], [])).toEqual({ ok: true });
    expect(reserved()).toEqual(['d1']);
    await store.confirm(['d1']);
    expect(await store.commit('c2', [contact('d2', T)], [], [])).toEqual({ ok: true });
    expect(reserved()).toEqual(['d2']); // d1's confirmation was in d2's transaction
    await store.confirm(['d2']);
    await new Promise((r) => setTimeout(r, 400));
    expect(reserved()).toEqual([]);
  });

  it('a write that fails is undone in memory and fails the commit', async () => {
    const file = db();
    const store = new SqliteContactStore(file);
    expect(await store.history('c1', 0)).toEqual({ contacts: [], declines: [] });
    file.exec('DROP TABLE contacts');
    await expect(store.commit('c1', [contact('d1', T)], [weekly], [{ key: 'k', max: 1 }])).rejects.toThrow(/contacts/);
    expect(await store.history('c1', 0)).toEqual({ contacts: [], declines: [] });
    expect(await store.capacityUsed(['k'])).toEqual([0]);
  });
});
