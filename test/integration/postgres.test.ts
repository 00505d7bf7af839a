import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as migrateCommand } from '../../src/cli/migrate.js';
import { canonicalJson } from '../../src/core/canonical.js';
import type { BankEvent } from '../../src/core/events.js';
import { openPgPool } from '../../src/store/postgres/db.js';
import { PgContactStore } from '../../src/store/postgres/contactStore.js';
import { PgDecisionLog } from '../../src/store/postgres/decisionLog.js';
import { PgEventLog } from '../../src/store/postgres/eventLog.js';
import { appliedMigrations, migrate, PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { createPartitionsAhead, ensureMonthPartitions } from '../../src/store/postgres/partitions.js';
import { dropSchemas, freshSchema, newSchemaName, PG_URL } from './pg.js';
import { serviceAvailable } from './services.js';

const available = await serviceAvailable('PostgreSQL', 5432);
const login = (id: string, customerId: string, at: string): BankEvent => ({ eventId: id, customerId, occurredAt: at, schemaVersion: 1, type: 'login', payload: { channel: 'web' } });
const item = (e: BankEvent) => ({ event: e, body: canonicalJson(e), t: Date.parse(e.occurredAt) });

describe.skipIf(!available)('PostgreSQL adapters beyond the contracts', () => {
  afterAll(dropSchemas);

  it('migrate applies every version once, records it, and is a no-op when run again or by two instances at once', async () => {
    const schema = newSchemaName();
    const pools = [0, 1].map(() => openPgPool({ url: PG_URL, schema, max: 2 }));
    const runs = await Promise.all(pools.map((p) => migrate(p, schema)));
    expect(runs.flat().sort((x, y) => x - y)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    expect(await migrate(pools[0]!, schema)).toEqual([]);
    expect(await appliedMigrations(pools[1]!)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    await Promise.all(pools.map((p) => p.end()));
  });

  it('`nextbest migrate --store postgres://…` migrates a new schema, makes partitions ahead, and is idempotent', async () => {
    const schema = newSchemaName();
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      expect(await migrateCommand(['--store', PG_URL, '--schema', schema, '--months-ahead', '2'])).toBe(0);
      expect(await migrateCommand(['--store', PG_URL, '--schema', schema])).toBe(0);
    } finally {
      write.mockRestore();
    }
    const [first, second] = out.map((o) => JSON.parse(o) as { applied: number[]; versions: number[]; partitions: string[] });
    expect(first!.applied).toEqual(PG_MIGRATIONS.map((m) => m.version));
    expect(first!.partitions).toHaveLength(3);
    expect(second!.applied).toEqual([]);
    expect(second!.versions).toEqual(first!.versions);
    await expect(migrateCommand(['--store', 'redis://127.0.0.1:6379'])).rejects.toThrow(/postgres:\/\//);
  });

  it('migration 16 gives decisions logged before it their chosen actions, and the search filters on that column', async () => {
    const { pool } = await freshSchema();
    // As the schema was before 16: no column, the record stored whole.
    await pool.query('ALTER TABLE decisions DROP COLUMN chosen_actions');
    await pool.query('DELETE FROM schema_migrations WHERE version = 16');
    const log = new PgDecisionLog(pool);
    const at = Date.parse('2026-03-15T00:00:00Z');
    await ensureMonthPartitions(pool, 'decisions', [at]);
    for (const [id, record] of [['o1', { chosen: [{ actionId: 'card' }, { actionId: 'saver' }] }], ['o2', { chosen: [] }], ['o3', { inputs: {} }]] as const) {
      await pool.query('INSERT INTO decision_ids (decision_id, customer_id, decided_at) VALUES ($1, $2, $3)', [id, 'c1', at]);
      await pool.query('INSERT INTO decisions (decision_id, customer_id, channel, decided_at, catalogue_version, record) VALUES ($1, $2, $3, $4, $5, $6)', [id, 'c1', 'email', at, 'v', JSON.stringify(record)]);
    }
    expect(await migrate(pool, (await pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s)).toEqual([16]);
    expect((await log.get('o1'))?.chosenActions).toEqual(['card', 'saver']);
    expect((await log.get('o3'))?.chosenActions).toEqual([]);
    await log.append({ decisionId: 'n1', customerId: 'c2', channel: 'email', decidedAt: at + 1, catalogueVersion: 'v', chosenActions: ['saver'], record: { packed: true } });
    expect((await log.search({ actionId: 'saver', limit: 10 })).map((d) => d.decisionId)).toEqual(['n1', 'o1']);
    expect((await log.search({ actionId: 'card', limit: 10 })).map((d) => d.decisionId)).toEqual(['o1']);
    expect((await pool.query("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'decisions_chosen'")).rows[0]?.indexdef).toMatch(/USING gin \(chosen_actions\)/);
    await log.close();
  });

  it('splits events and decisions by month: each lands in its partition, made on demand or ahead', async () => {
    const { pool } = await freshSchema();
    const log = new PgEventLog(pool);
    await log.appendMany([item(login('a', 'c1', '2026-01-31T23:59:59.999Z')), item(login('b', 'c1', '2026-02-01T00:00:00Z')), item(login('c', 'c2', '1999-12-31T12:00:00Z'))], 1);
    const decisions = new PgDecisionLog(pool);
    await decisions.append({ decisionId: 'd1', customerId: 'c1', channel: 'email', decidedAt: Date.parse('2026-03-15T00:00:00Z'), catalogueVersion: 'v', chosenActions: [], record: {} });
    expect(await createPartitionsAhead(pool, Date.parse('2026-03-15T00:00:00Z'), 1)).toEqual(['202603', '202604']);
    const parts = await pool.query<{ parent: string; child: string; n: number }>(
      `SELECT p.relname AS parent, c.relname AS child FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind = 'r' ORDER BY 1, 2`,
    );
    expect(parts.rows.map((r) => `${r.parent}:${r.child}`)).toEqual([
      'decisions:decisions_p202603',
      'decisions:decisions_p202604',
      'events:events_p199912',
      'events:events_p202601',
      'events:events_p202602',
      'events:events_p202603',
      'events:events_p202604',
    ]);
    expect((await pool.query('SELECT event_id FROM events_p202601')).rows).toEqual([{ event_id: 'a' }]);
    expect((await log.readCustomer('c1')).map((e) => e.event.eventId)).toEqual(['a', 'b']);
    expect((await decisions.get('d1'))?.decidedAt).toBe(Date.parse('2026-03-15T00:00:00Z'));
    await decisions.close();
    await pool.end();
  });

  it('appends from four instances at once: every event once, seqs 1..N with no gap, each seen once by a reader following seq', async () => {
    const { pool, schema } = await freshSchema();
    const instances = [0, 1, 2, 3].map(() => new PgEventLog(openPgPool({ url: PG_URL, schema, max: 2 }), { ownsPool: true }));
    const seen: number[] = [];
    let done = false;
    const reader = (async () => {
      let after = 0;
      while (!done || after < 2000) {
        const page = await instances[0]!.readAfter(after, 500);
        for (const e of page) seen.push(e.seq);
        if (page.length > 0) after = page[page.length - 1]!.seq;
        else await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await Promise.all(
      instances.map(async (log, k) => {
        for (let b = 0; b < 5; b++) {
          // Every batch repeats one event of the instance before: the log must keep one copy.
          const batch = Array.from({ length: 100 }, (_, i) => item(login(`e${k}-${b}-${i}`, `c${i % 9}`, `2026-0${1 + (i % 3)}-10T00:00:00Z`)));
          await log.appendMany([...batch, item(login(`e${(k + 3) % 4}-${b}-0`, 'c0', '2026-01-10T00:00:00Z'))], b);
        }
      }),
    );
    done = true;
    await reader;
    expect(await instances[1]!.count()).toBe(2000);
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    await Promise.all(instances.map((l) => l.close()));
    await pool.end();
  });

  it('a cap of one holds against 24 commits at once from 24 separate connections: exactly one wins', async () => {
    const { pool, schema } = await freshSchema();
    const stores = Array.from({ length: 24 }, () => new PgContactStore(openPgPool({ url: PG_URL, schema, max: 1 }), { ownsPool: true }));
    const at = Date.parse('2026-03-01T10:00:00Z');
    const results = await Promise.all(
      stores.map((s, i) => s.commit('c1', [{ decisionId: `d${i}`, actionId: 'a', family: 'savings', channel: 'push', at }], [{ channel: '*', max: 1, periodMs: 86_400_000 }], [{ key: 'action:a:2026-03-01', max: 100 }])),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'cap')).toHaveLength(23);
    expect((await stores[0]!.history('c1', 0)).contacts).toHaveLength(1);
    expect(await stores[0]!.capacityUsed(['action:a:2026-03-01'])).toEqual([1]);
    // A daily capacity of five across many customers and connections.
    const many = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 24]!.commit(`k${i}`, [{ decisionId: `x${i}`, actionId: 'b', family: 'savings', channel: 'push', at }], [], [{ key: 'cap5', max: 5 }])));
    expect(many.filter((r) => r.ok)).toHaveLength(5);
    expect(await stores[0]!.capacityUsed(['cap5'])).toEqual([5]);
    await Promise.all(stores.map((s) => s.close()));
    await pool.end();
  });
});
