import { afterAll, describe, expect, it } from 'vitest';
import type { BankEvent } from '../../src/core/events.js';
import { canonicalJson } from '../../src/core/canonical.js';
import { AuditTrail } from '../../src/governance/audit.js';
import type { PgPool } from '../../src/store/postgres/db.js';
import { PgAuditLog } from '../../src/store/postgres/auditLog.js';
import { PgContactStore } from '../../src/store/postgres/contactStore.js';
import { PgDecisionLog } from '../../src/store/postgres/decisionLog.js';
import { PgEventLog } from '../../src/store/postgres/eventLog.js';
import { PgRejectStore } from '../../src/store/postgres/rejectStore.js';
import { dropSchemas, freshSchema, recycledSchema } from './pg.js';
import { serviceAvailable } from './services.js';

const available = await serviceAvailable('PostgreSQL', 5432);

/** What a schema holds: every relation with its kind, each table's row count, each sequence's state, the triggers. */
async function shape(pool: PgPool): Promise<unknown[]> {
  const out: unknown[] = [];
  const rels = (await pool.query<{ relname: string; relkind: string }>('SELECT relname, relkind FROM pg_class WHERE relnamespace = current_schema()::regnamespace ORDER BY relname')).rows;
  for (const { relname, relkind } of rels) {
    if (relkind === 'r' || relkind === 'p') out.push([relname, relkind, (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${relname}`)).rows[0]!.n]);
    else if (relkind === 'S') out.push([relname, relkind, (await pool.query(`SELECT last_value, is_called FROM ${relname}`)).rows[0]]);
    else out.push([relname, relkind]);
  }
  out.push((await pool.query("SELECT t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal ORDER BY 1")).rows);
  return out;
}

const schemaOf = async (pool: PgPool) => (await pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s;

const login = (id: string, at: string): BankEvent => ({ eventId: id, customerId: 'c1', occurredAt: at, schemaVersion: 1, type: 'login', payload: { channel: 'web' } });
const item = (e: BankEvent) => ({ event: e, body: canonicalJson(e), t: Date.parse(e.occurredAt) });

describe.skipIf(!available)('a recycled test schema (pg.ts recycledSchema)', () => {
  afterAll(dropSchemas);

  it('is the same schema again once its pool ended, emptied to what migrate leaves in a new one', async () => {
    const { pool: fresh } = await freshSchema({ max: 1 });
    const want = await shape(fresh);
    await fresh.end();

    // Rows in partitioned tables (new monthly partitions), identity and plain sequences, and the append-only audit log.
    const first = await recycledSchema({ max: 2 });
    const name = await schemaOf(first);
    const events = new PgEventLog(first);
    await events.appendMany([item(login('e1', '2026-01-05T00:00:00Z')), item(login('e2', '2026-02-05T00:00:00Z'))], 1);
    const decisions = new PgDecisionLog(first);
    await decisions.append({ decisionId: 'd1', customerId: 'c1', channel: 'email', decidedAt: Date.parse('2026-01-05T00:00:00Z'), catalogueVersion: 'v1', chosenActions: ['a'], record: { chosen: [{ actionId: 'a' }] } });
    await decisions.putCatalogue('v1', { actions: [] });
    expect(await new PgContactStore(first).commit('c1', [{ decisionId: 'd1', actionId: 'a', family: 'savings', channel: 'push', at: Date.parse('2026-01-05T00:00:00Z') }], [{ channel: '*', max: 1, periodMs: 86_400_000 }], [])).toEqual({ ok: true });
    await new PgRejectStore(first).addMany([{ receivedAt: 1, source: 'test', eventId: 'e9', customerId: 'c1', issues: [], raw: '{}' }]);
    await new AuditTrail(new PgAuditLog(first), () => Date.UTC(2026, 0, 1)).record({ actor: 'k1', action: 'catalogue.levers', target: 'levers' });
    const dirty = await shape(first);
    expect(dirty).not.toEqual(want);
    await first.end();

    const again = await recycledSchema({ max: 2 });
    try {
      // Recycled, not migrated anew: else this test would prove nothing.
      expect(await schemaOf(again)).toBe(name);
      expect(await shape(again)).toEqual(want);
      // Numbering starts again: the event log's first append is seq 1.
      expect(await new PgEventLog(again).appendMany([item(login('e3', '2026-03-05T00:00:00Z'))], 1)).toEqual([{ status: 'accepted', seq: 1 }]);
    } finally {
      await again.end();
    }
  });

  it('is never handed out while its pool is open', async () => {
    const a = await recycledSchema({ max: 1 });
    const b = await recycledSchema({ max: 1 });
    try {
      expect(await schemaOf(b)).not.toBe(await schemaOf(a));
    } finally {
      await a.end();
      await b.end();
    }
  });
});
