import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { canonicalJson } from '../src/core/canonical.js';
import type { BankEvent } from '../src/core/events.js';
import type { AppendItem, EventLog } from '../src/store/eventLog.js';
import type { ContactStore } from '../src/store/contactStore.js';
import type { ProfileStore } from '../src/store/profileStore.js';
import { openPgPool } from '../src/store/postgres/db.js';
import { PgContactStore } from '../src/store/postgres/contactStore.js';
import { PgEventLog } from '../src/store/postgres/eventLog.js';
import { migrate } from '../src/store/postgres/migrations.js';
import { PgProfileStore } from '../src/store/postgres/profileStore.js';
import { openRedis } from '../src/store/redis/client.js';
import { RedisContactStore } from '../src/store/redis/contactStore.js';
import { RedisProfileStore } from '../src/store/redis/profileStore.js';
import { openSqlite } from '../src/store/sqlite/db.js';
import { SqliteEventLog } from '../src/store/sqlite/eventLog.js';
import { answers } from '../test/integration/services.js';
import { percentile, type Bench, type BenchRow } from './harness.js';

/**
 * The PostgreSQL and Redis adapters on this machine's servers: event appends in batches
 * of 1,000 (against the embedded SQLite log as the peer), profile reads, and contact
 * commits with a cap checked. Each case writes into a schema / key prefix of its own,
 * dropped after. Needs PostgreSQL on 127.0.0.1:5432 (database `test`, or
 * NEXTBEST_BENCH_PG) and Redis on 127.0.0.1:6379; skips the cases whose server is absent.
 */
const PG_URL = process.env.NEXTBEST_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.NEXTBEST_BENCH_REDIS ?? 'redis://127.0.0.1:6379';
const RUN = `nbb_${process.pid}_${Date.now().toString(36)}`;
const T0 = Date.UTC(2026, 0, 1);

/** A deposit, as a bank sends it: ~250 bytes of canonical JSON, times spread over three months. */
function deposit(i: number): AppendItem {
  const e = {
    eventId: `${RUN}-${i}`,
    customerId: `c${(i * 7919) % 50_000}`,
    occurredAt: new Date(T0 + ((i * 2_654_435_761) % (90 * 86_400_000))).toISOString(),
    schemaVersion: 1,
    type: 'deposit',
    payload: { amount: { minor: 1000 + (i % 500_000), currency: 'GBP' }, accountId: `acc-${i % 80_000}`, method: 'online' },
  } as unknown as BankEvent;
  return { event: e, body: canonicalJson(e), t: Date.parse(e.occurredAt) };
}

/** Appends `batches` batches of `size` with `writers` appending at once; events/s and batch latency. */
async function appendRate(logs: EventLog[], batches: number, size: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  let next = 0;
  const lat: number[] = [];
  const start = performance.now();
  await Promise.all(
    logs.map(async (log) => {
      for (;;) {
        const b = next++;
        if (b >= batches) return;
        const items = Array.from({ length: size }, (_, k) => deposit(b * size + k));
        const t = performance.now();
        await log.appendMany(items, T0);
        lat.push(performance.now() - t);
      }
    }),
  );
  const secs = (performance.now() - start) / 1000;
  return { perSecond: (batches * size) / secs, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

/** Reads one profile at a time, as a decision does; latency per read. */
async function profileReads(store: ProfileStore, customers: number, reads: number): Promise<{ p50: number; p99: number; perSecond: number }> {
  const state = new Uint8Array(600).map((_, i) => i % 251);
  for (let i = 0; i < customers; i += 1000) {
    await store.commit({ put: Array.from({ length: Math.min(1000, customers - i) }, (_, k) => ({ customerId: `c${i + k}`, state })), remove: [], checkpoint: { seq: i, version: 'bench' } });
  }
  for (let i = 0; i < 500; i++) await store.getMany([`c${(i * 31) % customers}`]); // warm-up
  const lat: number[] = [];
  const start = performance.now();
  for (let i = 0; i < reads; i++) {
    const t = performance.now();
    const [s] = await store.getMany([`c${(i * 7919) % customers}`]);
    lat.push(performance.now() - t);
    if (!s || s.length !== 600) throw new Error('profile missing');
  }
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), perSecond: reads / ((performance.now() - start) / 1000) };
}

/** Commits one contact per decision with a weekly cap, one at a time; latency per commit. */
async function contactCommits(store: ContactStore, n: number): Promise<{ p50: number; p99: number }> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await store.commit(`c${i % 2000}`, [{ decisionId: `d${i}`, actionId: `a${i % 12}`, family: 'savings', channel: 'push', at: T0 + i * 1000 }], [{ channel: 'push', max: 3, periodMs: 7 * 86_400_000 }], [{ key: `a${i % 12}:2026-01-01`, max: 1_000_000 }]);
    lat.push(performance.now() - t);
  }
  return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

const bench: Bench = {
  name: 'stores-pg-redis',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const batches = quick ? 10 : 60;
    const pgUp = await answers(5432);
    const redisUp = await answers(6379);
    const admin = pgUp ? new pg.Client({ connectionString: PG_URL }) : undefined;
    await admin?.connect();
    const schemas: string[] = [];
    const freshPool = async (name: string, max: number) => {
      const schema = `${RUN}_${name}`;
      schemas.push(schema);
      const pool = openPgPool({ url: PG_URL, schema, max });
      await migrate(pool, schema);
      return pool;
    };
    try {
      const dir = mkdtempSync(join(tmpdir(), 'nb-bench-'));
      const sqlite = new SqliteEventLog(openSqlite(join(dir, 'db.sqlite')));
      const lite = await appendRate([sqlite], batches, 1000);
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
      if (pgUp) {
        for (const writers of [1, 2]) {
          const pool = await freshPool(`append${writers}`, writers + 1);
          const logs = Array.from({ length: writers }, () => new PgEventLog(pool));
          const r = await appendRate(logs, batches, 1000);
          rows.push({ case: `PostgreSQL event log, batches of 1,000, ${writers} writer${writers > 1 ? 's' : ''}`, metric: 'events/s', value: r.perSecond, unit: 'ev/s', peer: { name: 'SQLite (1 writer)', value: lite.perSecond }, ratio: r.perSecond / lite.perSecond });
          rows.push({ case: `PostgreSQL event log, batches of 1,000, ${writers} writer${writers > 1 ? 's' : ''}`, metric: 'batch p50 / p99', value: r.p50, unit: `ms / ${r.p99.toFixed(1)} ms` });
          if (writers === 1) rows.push({ case: 'SQLite event log (peer), batches of 1,000', metric: 'batch p50 / p99', value: lite.p50, unit: `ms / ${lite.p99.toFixed(1)} ms` });
          await pool.end();
        }
        const pool = await freshPool('profiles', 2);
        const pr = await profileReads(new PgProfileStore(pool), 20_000, quick ? 2000 : 20_000);
        rows.push({ case: 'PostgreSQL profile read, one customer, 600-byte state', metric: 'p50 / p99', value: pr.p50, unit: `ms / ${pr.p99.toFixed(3)} ms`, note: `${Math.round(pr.perSecond)} reads/s sequential` });
        const pc = await contactCommits(new PgContactStore(pool), quick ? 500 : 3000);
        rows.push({ case: 'PostgreSQL contact commit (cap + capacity checked)', metric: 'p50 / p99', value: pc.p50, unit: `ms / ${pc.p99.toFixed(2)} ms` });
        await pool.end();
      } else notes.push('PostgreSQL did not answer on 127.0.0.1:5432: its cases were skipped.');
      if (redisUp) {
        const redis = openRedis(REDIS_URL);
        const prefix = `${RUN}:`;
        const rr = await profileReads(new RedisProfileStore(redis, { prefix }), 20_000, quick ? 2000 : 20_000);
        rows.push({ case: 'Redis profile read, one customer, 600-byte state', metric: 'p50 / p99', value: rr.p50, unit: `ms / ${rr.p99.toFixed(3)} ms`, goal: 'p99 ≤ 1 ms', note: `${Math.round(rr.perSecond)} reads/s sequential` });
        const rc = await contactCommits(new RedisContactStore(redis, { prefix }), quick ? 500 : 3000);
        rows.push({ case: 'Redis contact commit (Lua: cap + capacity checked)', metric: 'p50 / p99', value: rc.p50, unit: `ms / ${rc.p99.toFixed(2)} ms` });
        let cursor = '0';
        do {
          const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
          cursor = nextCursor;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
        await redis.quit();
      } else notes.push('Redis did not answer on 127.0.0.1:6379: its cases were skipped.');
      notes.push('Local servers on the same 2-core machine as the client (no network hop); PostgreSQL 15 with its default settings (synchronous_commit on). Appends include dedupe by eventId and the monthly partitions.');
    } finally {
      if (admin) {
        for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
        await admin.end();
      }
    }
    return { rows, notes };
  },
};

export default bench;
