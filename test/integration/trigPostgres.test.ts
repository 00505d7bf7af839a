import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { openPgPool } from '../../src/store/postgres/db.js';
import { PgContactStore } from '../../src/store/postgres/contactStore.js';
import { PgOutbox } from '../../src/store/postgres/outbox.js';
import { contactStoreContract } from '../store/contactStore.contract.js';
import { entryFor, outboxContract } from '../store/outbox.contract.js';
import { dropSchemas, freshSchema, newSchemaName, PG_URL, recycledSchema } from './pg.js';
import { serviceAvailable } from './services.js';

/**
 * The outbox, the contacts it is written with, the trigger state and the journeys on
 * PostgreSQL. Schemas of their own (`nbt_<pid>_…`, from ./pg.ts), dropped at the end.
 */
const available = await serviceAvailable('PostgreSQL', 5432);
const T = 1_700_000_000_000;
const DAY = 86_400_000;

describe.skipIf(!available)('triggers and delivery on PostgreSQL', () => {
  afterAll(dropSchemas);

  outboxContract('postgres', async () => new PgOutbox(await recycledSchema({ max: 2 }), { ownsPool: true }));
  contactStoreContract('postgres, with its outbox', async () => new PgContactStore(await recycledSchema({ max: 2 }), { ownsPool: true, outbox: true }));

  it('a commit writes its outbox entries in the contact\'s transaction: a refused commit leaves neither', async () => {
    const { pool } = await freshSchema({ max: 4 });
    const contacts = new PgContactStore(pool, { outbox: true });
    const box = new PgOutbox(pool);
    expect(contacts.outboxInCommit).toBe(true);
    const cap = { channel: '*', max: 1, periodMs: 7 * DAY };
    const contact = (d: string) => ({ decisionId: d, actionId: 'sav_easy_access', family: 'savings', channel: 'push', at: T });
    expect(await contacts.commit('c1', [contact('a')], [cap], [], [entryFor('a')])).toEqual({ ok: true });
    expect(await contacts.commit('c1', [contact('b')], [cap], [], [entryFor('b')])).toMatchObject({ ok: false, reason: 'cap' });
    expect((await box.list({})).map((e) => e.key)).toEqual(['a:sav_easy_access:push']);
    expect((await contacts.history('c1', 0)).contacts.map((c) => c.decisionId)).toEqual(['a']);
    // The failed delivery releases the contact: the cap has room again, and the next decision's entry is written with it.
    expect(await contacts.release('c1', { decisionId: 'a', actionId: 'sav_easy_access', channel: 'push' })).toBe(true);
    expect(await contacts.commit('c1', [contact('b')], [cap], [], [entryFor('b')])).toEqual({ ok: true });
    expect((await box.list({})).map((e) => e.key)).toEqual(['a:sav_easy_access:push', 'b:sav_easy_access:push']);
    // An insert that fails inside the transaction (a key too odd for the column) takes the contact with it.
    await expect(contacts.commit('c2', [contact('c')], [], [], [{ ...entryFor('c', 'c2'), createdAt: Number.NaN }])).rejects.toThrow();
    expect((await contacts.history('c2', 0)).contacts).toEqual([]);
    await pool.end();
  });

  it('two dispatchers on two pools never lease the same entry (SKIP LOCKED), however they interleave', async () => {
    const { pool, schema } = await freshSchema({ max: 4 });
    const other = openPgPool({ url: PG_URL, schema, max: 4 });
    const a = new PgOutbox(pool);
    const b = new PgOutbox(other);
    await a.enqueue(Array.from({ length: 200 }, (_, i) => entryFor(`d${i}`, `c${i % 7}`)));
    const req = { channels: ['push'], now: T, leaseMs: 60_000, limit: 9 };
    const taken: string[] = [];
    await Promise.all(
      [a, b, a, b].map(async (box, i) => {
        for (;;) {
          const got = await box.lease({ ...req, by: `disp${i}` });
          if (got.length === 0) return;
          taken.push(...got.map((e) => e.key));
        }
      }),
    );
    expect(taken).toHaveLength(200);
    expect(new Set(taken).size).toBe(200);
    await other.end();
    await pool.end();
  });

  it('a trigger edit made on one instance is in force on another within about a second, and neither reverts the other', async () => {
    const schema = newSchemaName();
    const store = `${PG_URL}?schema=${schema}`;
    const clock = new ManualClock('2026-03-02T10:00:00Z');
    const dirs = [mkdtempSync(join(tmpdir(), 'nb-trig-a-')), mkdtempSync(join(tmpdir(), 'nb-trig-b-'))];
    const open = (dataDir: string) => createEngine({ store, dataDir, triggers: { sweepSeconds: 0 }, delivery: { dispatch: false } }, { clock, logger: pino({ level: 'silent' }) });
    const a = await open(dirs[0]!);
    const b = await open(dirs[1]!);
    const until = async (ok: () => boolean) => {
      const t0 = Date.now();
      while (!ok() && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
      return Date.now() - t0;
    };
    try {
      const t = a.triggers.get('large_deposit_investment');
      expect(b.triggers.get('large_deposit_investment').priority).toBe(t.priority);
      await a.triggers.put({ ...t, priority: 7 });
      expect(await until(() => b.triggers.get('large_deposit_investment').priority === 7)).toBeLessThan(2500);
      // And the other way, with a delete: a's own edit stays as it was.
      const ids = b.triggers.list().map((x) => x.id);
      await b.triggers.delete(ids.find((id) => id !== 'large_deposit_investment')!);
      expect(await until(() => a.triggers.list().length === ids.length - 1)).toBeLessThan(2500);
      expect(a.triggers.get('large_deposit_investment').priority).toBe(7);
      expect(b.triggers.get('large_deposit_investment').priority).toBe(7);
    } finally {
      await a.close();
      await b.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });

  describe('the engine on PostgreSQL', () => {
    let engine: Engine | undefined;
    afterAll(async () => {
      await engine?.close();
    });

    it('a deposit fires once, its delivery is in the PostgreSQL outbox, and the fire log, the journey and a trigger edit survive a restart', async () => {
      const schema = newSchemaName();
      const store = `${PG_URL}?schema=${schema}`;
      const clock = new ManualClock('2026-03-02T10:00:00Z');
      const dataDir = mkdtempSync(join(tmpdir(), 'nb-trig-pg-'));
      const open = () => createEngine({ store, dataDir, triggers: { sweepSeconds: 0 }, delivery: { dispatch: false } }, { clock, logger: pino({ level: 'silent' }) });
      engine = await open();
      const cat = structuredClone(engine.catalogue.catalogue);
      cat.contactPolicy.caps = [{ channel: '*', max: 5, periodDays: 7 }];
      await engine.catalogue.replaceCatalogue(cat);
      const t = engine.triggers.get('large_deposit_investment');
      await engine.triggers.put({ ...t, followUps: [{ channel: 'email', after: '2d' }] });
      await engine.upsertCustomers([{ customerId: 'c1', dateOfBirth: '1985-06-01', riskTolerance: 'medium', financialSophistication: 'experienced', preferredChannel: 'in_app', consents: { marketing: true, personalised_offers: true } }]);
      const now = clock.now();
      const ev = (id: string, type: string, daysAgo: number, payload: Record<string, unknown>) => ({ eventId: id, customerId: 'c1', occurredAt: new Date(now - daysAgo * DAY).toISOString(), schemaVersion: 1, type, payload });
      const history = [
        ...[60, 30, 2].map((d, i) => ev(`sal${i}`, 'salary', d, { amount: { minor: 300_000, currency: 'GBP' } })),
        ev('bal', 'balance_snapshot', 1, { accountId: 'a1', accountType: 'current', balance: { minor: 400_000, currency: 'GBP' } }),
        ev('big', 'deposit', 0, { amount: { minor: 5_000_000, currency: 'GBP' } }),
      ];
      await engine.ingest(history);
      await engine.consumers.caughtUp(20_000);
      const [j] = await engine.triggers.journeys('c1');
      expect(j).toMatchObject({ status: 'active', done: 1, triggerId: 'large_deposit_investment' });
      const pool = openPgPool({ url: PG_URL, schema, max: 1 });
      try {
        const rows = (await pool.query<{ key: string; channel: string; status: string }>('SELECT key, channel, status FROM outbox WHERE customer_id = $1', ['c1'])).rows;
        expect(rows).toEqual([{ key: `${j!.decisionIds[0]}:${j!.actionId}:in_app`, channel: 'in_app', status: 'pending' }]);
        expect((await pool.query('SELECT fire_id FROM trigger_fires')).rows).toEqual([{ fire_id: 'large_deposit_investment:big' }]);
        expect((await pool.query('SELECT journey_id, status FROM journeys')).rows).toEqual([{ journey_id: j!.journeyId, status: 'active' }]);
      } finally {
        await pool.end();
      }
      await engine.close();

      clock.advance(2 * DAY);
      engine = await open();
      expect(engine.triggers.get('large_deposit_investment').followUps).toEqual([{ channel: 'email', after: 2 * DAY }]);
      expect((await engine.triggers.fires({ customerId: 'c1' })).map((f) => f.fire.fireId)).toEqual(['large_deposit_investment:big']);
      const [moved] = await engine.triggers.tickJourneys();
      expect(moved).toMatchObject({ journeyId: j!.journeyId, status: 'completed', done: 2 });
      expect((await engine.deliveries.list({ customerId: 'c1' })).map((e) => e.channel).sort()).toEqual(['email', 'in_app']);
    });
  });
});
