import { createHash } from 'node:crypto';
import type { BankEvent, EventType, StoredEvent } from '../../core/events.js';
import type { AppendItem, AppendOutcome, EventLog, EventQuery, ScanOptions } from '../eventLog.js';
import { inTransaction, release, type PgAdapterOptions, type PgClient, type PgPool } from './db.js';
import { ensureMonthPartitions } from './partitions.js';

interface EventRow {
  seq: number;
  t: number;
  recorded_at: number;
  body: string;
}

const toStored = (r: EventRow): StoredEvent => ({ seq: r.seq, t: r.t, recordedAt: r.recorded_at, event: JSON.parse(r.body) as BankEvent });
const digest = (body: string) => createHash('sha256').update(body).digest();

/** Adds the time and type conditions of a query as numbered parameters. */
function where(q: EventQuery, params: unknown[], clauses: string[] = []): string {
  if (q.fromT !== undefined) clauses.push(`t >= $${params.push(q.fromT)}`);
  if (q.toT !== undefined) clauses.push(`t < $${params.push(q.toT)}`);
  if (q.types && q.types.length > 0) clauses.push(`type = ANY($${params.push(q.types)}::text[])`);
  return clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
}

/**
 * The event log in PostgreSQL, split by month of event time. A batch is one transaction
 * of four statements whatever its size (arrays unnested into multi-row inserts).
 *
 * Appends from every instance are serialized by one advisory lock, held from the moment
 * seqs are drawn until commit, so seqs become visible in increasing order: a consumer
 * reading `seq > n` can never see seq n+2 and later find n+1 committed behind it (with
 * concurrent sequence draws it could, and would skip that event for good). One writer at
 * a time costs little because each holds the lock for one batch, not one event.
 */
export class PgEventLog implements EventLog {
  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  async appendMany(items: readonly AppendItem[], recordedAt: number): Promise<AppendOutcome[]> {
    if (items.length === 0) return [];
    await ensureMonthPartitions(this.pool, 'events', items.map((i) => i.t));
    const c = await this.pool.connect();
    try {
      // BEGIN and the lock in one round trip (the lock's key as lockFor makes it).
      await c.query("BEGIN; SELECT pg_advisory_xact_lock(hashtext(current_schema() || 'event_log'), hashtext('append'))");
      const out = await this.appendLocked(c, items, recordedAt);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  /** Inside the append transaction, holding the lock: dedupe, draw seqs, insert. */
  private async appendLocked(c: PgClient, items: readonly AppendItem[], recordedAt: number): Promise<AppendOutcome[]> {
    const ids = [...new Set(items.map((i) => i.event.eventId))];
    const stored = new Map<string, { seq: number; digest: Buffer }>();
    for (const r of (await c.query<{ event_id: string; seq: number; digest: Buffer }>('SELECT event_id, seq, digest FROM event_ids WHERE event_id = ANY($1::text[])', [ids])).rows) stored.set(r.event_id, r);
    const fresh: { item: AppendItem; digest: Buffer }[] = [];
    const pending = new Map<string, { digest: Buffer; k: number }>();
    // `fresh`: the position among the new events, whose seqs are drawn below.
    const outcomes = items.map((item): { status: AppendOutcome['status']; seq?: number; fresh?: number } => {
      const d = digest(item.body);
      const old = stored.get(item.event.eventId);
      if (old) return { status: old.digest.equals(d) ? 'duplicate' : 'conflict', seq: old.seq };
      const earlier = pending.get(item.event.eventId);
      if (earlier) return { status: earlier.digest.equals(d) ? 'duplicate' : 'conflict', fresh: earlier.k };
      pending.set(item.event.eventId, { digest: d, k: fresh.length });
      fresh.push({ item, digest: d });
      return { status: 'accepted', fresh: fresh.length - 1 };
    });
    if (fresh.length === 0) return outcomes.map((o) => ({ status: o.status, seq: o.seq! }));
    // One statement: draw the seqs (contiguous under the lock: base+1 .. base+n, by array
    // position) and insert the ids and the events. A volatile CTE runs once.
    const ev = fresh.map((f) => f.item.event);
    const base = (
      await c.query<{ base: number }>(
        `WITH r AS (SELECT setval('event_seq', nextval('event_seq') + $8 - 1) - $8 AS base),
              ids AS (INSERT INTO event_ids (event_id, seq, customer_id, digest)
                      SELECT i, r.base + k, cu, d FROM r, unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS u(i, cu, d, k)),
              ev AS (INSERT INTO events (seq, event_id, customer_id, type, t, recorded_at, body)
                     SELECT r.base + k, i, cu, ty, t, $4, b FROM r, unnest($1::text[], $2::text[], $5::text[], $6::bigint[], $7::text[]) WITH ORDINALITY AS u(i, cu, ty, t, b, k))
         SELECT base FROM r`,
        [ev.map((e) => e.eventId), ev.map((e) => e.customerId), fresh.map((f) => f.digest), recordedAt, ev.map((e) => e.type), fresh.map((f) => f.item.t), fresh.map((f) => f.item.body), fresh.length],
      )
    ).rows[0]!.base;
    return outcomes.map((o) => ({ status: o.status, seq: o.fresh === undefined ? o.seq! : base + 1 + o.fresh }));
  }

  async readCustomer(customerId: string, query: EventQuery = {}): Promise<StoredEvent[]> {
    const params: unknown[] = [customerId];
    const sql = `SELECT seq, t, recorded_at, body FROM events ${where(query, params, ['customer_id = $1'])} ORDER BY t, seq`;
    return (await this.pool.query<EventRow>(sql, params)).rows.map(toStored);
  }

  async *scan(options: ScanOptions = {}): AsyncIterable<StoredEvent[]> {
    const size = options.batchSize ?? 10_000;
    let after: { t: number; seq: number } | undefined;
    // Keyset pagination on (t, seq), the primary key: each page is one bounded query that
    // the partition bounds prune, and appends during the scan do not shift pages.
    for (;;) {
      const params: unknown[] = [];
      const clauses: string[] = [];
      if (after) clauses.push(`(t, seq) > ($${params.push(after.t)}, $${params.push(after.seq)})`);
      const sql = `SELECT seq, t, recorded_at, body FROM events ${where(options, params, clauses)} ORDER BY t, seq LIMIT $${params.push(size)}`;
      const rows = (await this.pool.query<EventRow>(sql, params)).rows;
      if (rows.length === 0) return;
      const last = rows[rows.length - 1]!;
      after = { t: last.t, seq: last.seq };
      yield rows.map(toStored);
      if (rows.length < size) return;
    }
  }

  async readAfter(seq: number, limit: number): Promise<StoredEvent[]> {
    return (await this.pool.query<EventRow>('SELECT seq, t, recorded_at, body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2', [seq, limit])).rows.map(toStored);
  }

  async count(query: EventQuery & { customerId?: string } = {}): Promise<number> {
    const params: unknown[] = [];
    const clauses: string[] = [];
    if (query.customerId !== undefined) clauses.push(`customer_id = $${params.push(query.customerId)}`);
    return (await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM events ${where(query, params, clauses)}`, params)).rows[0]!.n;
  }

  /** Which of these seqs the log still holds (the others were erased). */
  async held(seqs: readonly number[]): Promise<Set<number>> {
    if (seqs.length === 0) return new Set();
    return new Set((await this.pool.query<{ seq: number }>('SELECT seq FROM events WHERE seq = ANY($1::bigint[])', [seqs])).rows.map((r) => r.seq));
  }

  async head(): Promise<number> {
    // The sequence's last value is the highest seq ever drawn: erasing the newest events never lowers it.
    const r = (await this.pool.query<{ last_value: string; is_called: boolean }>('SELECT last_value, is_called FROM event_seq')).rows[0]!;
    return r.is_called ? Number(r.last_value) : 0;
  }

  /** Retention: the event bodies go; their ids stay in event_ids, so a resent old event is still a duplicate, not a new one. */
  async purgeType(type: EventType, beforeT: number): Promise<number> {
    return (await this.pool.query('DELETE FROM events WHERE type = $1 AND t < $2', [type, beforeT])).rowCount ?? 0;
  }

  async eraseCustomer(customerId: string): Promise<number> {
    return inTransaction(this.pool, async (c) => {
      const n = (await c.query('DELETE FROM events WHERE customer_id = $1', [customerId])).rowCount ?? 0;
      await c.query('DELETE FROM event_ids WHERE customer_id = $1', [customerId]);
      return n;
    });
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}
