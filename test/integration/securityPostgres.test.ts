/**
 * Erasure and the audit trail on PostgreSQL: tombstones hold a keyed hash shared by every
 * instance on the schema, older raw-id tombstones are re-keyed, and the hash-chained audit
 * trail lives in the database (one chain for every instance), append-only through SQL.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Customer } from '../../src/core/customer.js';
import { createEngine } from '../../src/engine.js';
import { AuditTrail } from '../../src/governance/audit.js';
import { openPostgresBackend } from '../../src/store/backends/postgres.js';
import { openAuditLog } from '../../src/store/backends/index.js';
import { PgAuditLog } from '../../src/store/postgres/auditLog.js';
import { auditLogContract } from '../store/auditLog.contract.js';
import { dropSchemas, freshSchema, newSchemaName, PG_URL, recycledSchema } from './pg.js';
import { serviceAvailable } from './services.js';

const pgUp = await serviceAvailable('PostgreSQL', 5432);
const storeUrl = (schema: string) => `${PG_URL}?schema=${schema}`;

async function sql<T extends pg.QueryResultRow>(schema: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

describe.skipIf(!pgUp)('erasure and the audit trail on PostgreSQL', () => {
  afterAll(dropSchemas);

  auditLogContract('postgres', async () => new PgAuditLog(await recycledSchema({ max: 2 }), { ownsPool: true }));

  it('two instances share one tombstone key: an erasure on one refuses the id on the other; no table holds the id', async () => {
    const schema = newSchemaName();
    const [a, b] = await Promise.all([0, 1].map(() => openPostgresBackend({ url: PG_URL, schema, poolSize: 2, dataDir: mkdtempSync(join(tmpdir(), 'nb-sec-pg-')) })));
    try {
      expect(Buffer.from(a!.tombstoneKey).equals(Buffer.from(b!.tombstoneKey))).toBe(true);
      const at = Date.parse('2026-03-01T10:00:00Z');
      await a!.customers.upsertMany([Customer.parse({ customerId: 'sec-erase-me-77' }), Customer.parse({ customerId: 'sec-keep-78' })], at);
      expect(await a!.customers.erase('sec-erase-me-77', at)).toBe(true);
      expect([...(await b!.customers.erasedAmong(['sec-erase-me-77', 'sec-keep-78']))]).toEqual(['sec-erase-me-77']);
      const hashes = await sql<{ id_hash: string }>(schema, 'SELECT id_hash FROM erased_customer_hashes');
      expect(hashes).toHaveLength(1);
      expect(hashes[0]!.id_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(await sql(schema, 'SELECT * FROM erased_customers'))).toBe('[]');
      expect(JSON.stringify(await sql(schema, 'SELECT * FROM customers'))).not.toContain('sec-erase-me-77');
    } finally {
      await a!.close();
      await b!.close();
    }
  });

  it('re-keys tombstones that older versions wrote with the raw id', async () => {
    const { pool, schema } = await freshSchema({ max: 1 });
    await pool.query('INSERT INTO erased_customers (customer_id, erased_at) VALUES ($1, 1)', ['sec-old-erased-9']);
    await pool.end();
    const backend = await openPostgresBackend({ url: PG_URL, schema, poolSize: 1 });
    try {
      expect([...(await backend.customers.erasedAmong(['sec-old-erased-9', 'other']))]).toEqual(['sec-old-erased-9']);
      expect(await sql(schema, 'SELECT * FROM erased_customers')).toEqual([]);
      expect(JSON.stringify(await sql(schema, 'SELECT * FROM erased_customer_hashes'))).not.toContain('sec-old-erased-9');
    } finally {
      await backend.close();
    }
  });

  it('an erasure on one instance racing decisions and events on another leaves no row naming the customer', async () => {
    const schema = newSchemaName();
    const catalogue = new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url).pathname;
    const open = () => createEngine({ store: storeUrl(schema), dataDir: mkdtempSync(join(tmpdir(), 'nb-sec-pg-')), log: { level: 'silent' }, decisioning: { catalogue }, privacy: { retentionEveryMinutes: 0 } });
    const [a, b] = [await open(), await open()];
    const needles: string[] = [];
    let refused = 0;
    try {
      for (let trial = 0; trial < 6; trial++) {
        const id = `sec-pg-race-${trial}-w`;
        const email = `pg.racer${trial}@example.org`;
        needles.push(id, email);
        await a.upsertCustomers([{ customerId: id, dateOfBirth: '1984-02-02', consents: { marketing: true, personalised_offers: true }, attributes: { email } }]);
        await a.ingest([{ eventId: `${id}-dep`, customerId: id, occurredAt: '2026-03-01T09:00:00Z', schemaVersion: 1, type: 'deposit', payload: { amount: { minor: 5000_00, currency: 'GBP' }, method: 'online' } }]);
        const deciding = Array.from({ length: 6 }, async (_, k) => {
          try {
            await b.decide({ customerId: id, channel: k % 2 ? 'email' : 'in_app', n: 1 });
          } catch (e) {
            if (!['GONE', 'NOT_FOUND'].includes((e as { code?: string }).code ?? '')) throw e;
            refused++;
          }
        });
        const sending = b.ingest([{ eventId: `${id}-login`, customerId: id, occurredAt: '2026-03-01T10:00:00Z', schemaVersion: 1, type: 'login', payload: { channel: 'web' } }]);
        await new Promise((r) => setTimeout(r, trial * 3));
        await a.eraseCustomer(id);
        await Promise.all([...deciding, sending]);
      }
      await b.consumers.caughtUp();
    } finally {
      await a.close();
      await b.close();
    }
    const tables = await sql<{ table_name: string }>(schema, 'SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
    const hits: string[] = [];
    for (const { table_name } of tables) {
      const rows = JSON.stringify(await sql(schema, `SELECT * FROM "${table_name}"`));
      for (const n of needles) if (rows.includes(n)) hits.push(`${table_name}: ${n}`);
    }
    expect(hits).toEqual([]);
    expect(refused).toBeGreaterThan(0);
  }, 120_000);

  it('an erasure reaches the online profiles other instances hold in memory: none saves the customer back (no bus)', async () => {
    const schema = newSchemaName();
    const open = () => createEngine({ store: storeUrl(schema), dataDir: mkdtempSync(join(tmpdir(), 'nb-sec-pg-')), log: { level: 'silent' }, privacy: { retentionEveryMinutes: 0 } });
    const [a, b] = [await open(), await open()];
    const id = 'sec-pg-memory-erase-5';
    const keep = 'sec-pg-memory-keep-6';
    let bClosed = false;
    try {
      await a.upsertCustomers([id, keep].map((customerId) => ({ customerId, dateOfBirth: '1980-05-05', consents: { marketing: true } })));
      await a.ingest([id, keep].map((customerId, k) => ({ eventId: `${customerId}-dep`, customerId, occurredAt: '2026-03-01T09:00:00Z', schemaVersion: 1, type: 'deposit', payload: { amount: { minor: 1234_00 + k, currency: 'GBP' }, method: 'online' } })));
      // B applies the events itself (every instance follows the whole log without a bus; it
      // reads the head once a second): the customer is in its memory, changed and not yet saved.
      await new Promise((r) => setTimeout(r, 1500));
      await b.consumers.caughtUp();
      expect(b.consumers.status().find((c) => c.name === 'features')!.appliedSeq).toBeGreaterThanOrEqual(2);
      await a.eraseCustomer(id);
      // The notice reaches B within moments; B's close then saves every state it holds.
      const until = Date.now() + 5000;
      while (Date.now() < until && (await sql(schema, 'SELECT 1 FROM feature_profiles WHERE customer_id = $1', [id])).length > 0) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      await b.close();
      bClosed = true;
      const saved = (await sql<{ customer_id: string }>(schema, 'SELECT customer_id FROM feature_profiles')).map((r) => r.customer_id);
      expect(saved).not.toContain(id);
      expect(saved).toContain(keep);
    } finally {
      await a.close();
      if (!bClosed) await b.close();
    }
  }, 60_000);

  it('the engine on PostgreSQL audits into the database: one chain for two instances and the CLI, no customer id in it, append-only', async () => {
    const schema = newSchemaName();
    const open = () => createEngine({ store: storeUrl(schema), dataDir: mkdtempSync(join(tmpdir(), 'nb-sec-pg-')), log: { level: 'silent' }, privacy: { retentionEveryMinutes: 0 } });
    const one = await open();
    const two = await open();
    try {
      await one.upsertCustomers([{ customerId: 'sec-audited-31', dateOfBirth: '1980-01-01' }]);
      await two.upsertCustomers([{ customerId: 'sec-audited-32', dateOfBirth: '1980-01-01' }]);
      await one.eraseCustomer('sec-audited-31', { actor: 'k-one' });
      await two.eraseCustomer('sec-audited-32', { actor: 'k-two' });
      // The other instance refuses the first one's erased id at once.
      await expect(two.eraseCustomer('sec-audited-31')).rejects.toMatchObject({ code: 'GONE' });
      expect((await two.ingest([{ eventId: 'sec-late-1', customerId: 'sec-audited-31', occurredAt: '2026-03-01T09:00:00Z', schemaVersion: 1, type: 'login', payload: { channel: 'web' } }])).results[0]).toMatchObject({ status: 'rejected', issues: [{ rule: 'erased_customer' }] });

      const cli = new AuditTrail(await openAuditLog({ store: storeUrl(schema), dataDir: mkdtempSync(join(tmpdir(), 'nb-sec-pg-')) }), Date.now);
      await cli.record({ actor: 'cli:ops', action: 'key.revoke', target: 'k-one', before: null, after: null });
      const entries = await one.audit.list({ limit: 100 });
      expect(entries.map((e) => [e.seq, e.actor, e.action])).toEqual([
        [1, 'k-one', 'customer.erase'],
        [2, 'k-two', 'customer.erase'],
        [3, 'cli:ops', 'key.revoke'],
      ]);
      expect(entries[0]!.target).toBe(one.privacy.subjectOf('sec-audited-31'));
      expect(await two.audit.verify()).toMatchObject({ ok: true, entries: 3 });
      expect(JSON.stringify(await sql(schema, 'SELECT * FROM audit_log'))).not.toMatch(/sec-audited-3\d/);
      await expect(sql(schema, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")).rejects.toThrow(/append-only/);
      await expect(sql(schema, 'DELETE FROM audit_log WHERE seq = 3')).rejects.toThrow(/append-only/);
      await expect(sql(schema, 'TRUNCATE audit_log')).rejects.toThrow(/append-only/);
      // An edit made with the triggers out of the way is still caught by the chain.
      await sql(schema, "ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET actor = 'someone else' WHERE seq = 2; ALTER TABLE audit_log ENABLE TRIGGER USER");
      expect(await one.audit.verify()).toMatchObject({ ok: false, brokenAt: 2 });
    } finally {
      await one.close();
      await two.close();
    }
  }, 60_000);
});
