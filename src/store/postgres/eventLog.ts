import { createHash } from 'node:crypto';
import type { BankEvent, StoredEvent } from '../../core/events.js';
import type { AppendItem, AppendOutcome, EventLog, EventQuery, ScanOptions } from '../eventLog.js';
import { inTransaction, lockFor, release, type PgAdapterOptions, type PgPool } from './db.js';
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
    return inTransaction(this.pool, async (c) => {
      await lockFor(c, 'event_log', 'append');
      const ids = [...new Set(items.map((i) => i.event.eventId))];
      const stored = new Map<string, { seq: number; digest: Buffer }>();
      for (const r of (await c.query<{ event_id: string; seq: number; digest: Buffer }>('SELECT event_id, seq, digest FROM event_ids WHERE event_id = ANY($1::text[])', [ids])).rows) stored.set(r.event_id, r);
      const fresh: { item: AppendItem; digest: Buffer; k: number }[] = [];
      const pending = new Map<string, { digest: Buffer; k: number }>();
      // `fresh`: the position among the new events, whose seqs are drawn below.
      const outcomes = items.map((item): { status: AppendOutcome['status']; seq?: number; fresh?: number } => {
        const d = digest(item.body);
        const old = stored.get(item.event.eventId);
        if (old) return { status: old.digest.equals(d) ? 'duplicate' : 'conflict', seq: old.seq };
        const earlier = pending.get(item.event.eventId);
        if (earlier) return { status: earlier.digest.equals(d) ? 'duplicate' : 'conflict', fresh: earlier.k };
        const k = fresh.length;
        fresh.push({ item, digest: d, k });
        pending.set(item.event.eventId, { digest: d, k });
        return { status: 'accepted', fresh: k };
      });
      if (fresh.length === 0) return outcomes.map((o) => ({ status: o.status, seq: o.seq! }));
      // Under the lock the drawn range is contiguous: first..last.
      const last = (await c.query<{ last: number }>("SELECT setval('event_seq', nextval('event_seq') + $1 - 1) AS last", [fresh.length])).rows[0]!.last;
      const first = last - fresh.length + 1;
      const seqs = fresh.map((f) => first + f.k);
      const ev = fresh.map((f) => f.item.event);
      await c.query('INSERT INTO event_ids (event_id, seq, customer_id, digest) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bytea[])', [ev.map((e) => e.eventId), seqs, ev.map((e) => e.customerId), fresh.map((f) => f.digest)]);
      await c.query(
        'INSERT INTO events (seq, event_id, customer_id, type, t, recorded_at, body) SELECT s, i, c, ty, t, $5, b FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $6::bigint[], $7::text[]) AS u(s, i, c, ty, t, b)',
        [seqs, ev.map((e) => e.eventId), ev.map((e) => e.customerId), ev.map((e) => e.type), recordedAt, fresh.map((f) => f.item.t), fresh.map((f) => f.item.body)],
      );
      return outcomes.map((o) => ({ status: o.status, seq: o.fresh === undefined ? o.seq! : first + o.fresh }));
    });
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
