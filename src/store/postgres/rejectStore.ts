import type { FieldIssue } from '../../core/errors.js';
import type { NewReject, RejectedItem, RejectStore } from '../rejectStore.js';
import { release, type PgAdapterOptions, type PgPool } from './db.js';

interface RejectRow {
  id: number;
  received_at: number;
  source: string;
  event_id: string | null;
  customer_id: string | null;
  issues: string;
  raw: string;
}

/** The quarantine in PostgreSQL. Ids come from an identity column: never handed out twice. */
export class PgRejectStore implements RejectStore {
  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  async addMany(items: readonly NewReject[]): Promise<void> {
    if (items.length === 0) return;
    // ORDER BY the array position: ids increase in the order the items were given.
    await this.pool.query(
      `INSERT INTO rejects (received_at, source, event_id, customer_id, issues, raw)
       SELECT r, s, e, c, i, w FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(r, s, e, c, i, w, n) ORDER BY n`,
      [items.map((r) => r.receivedAt), items.map((r) => r.source), items.map((r) => r.eventId), items.map((r) => r.customerId), items.map((r) => JSON.stringify(r.issues)), items.map((r) => r.raw)],
    );
  }

  async list(options: { limit: number; beforeId?: number; source?: string }): Promise<RejectedItem[]> {
    const params: unknown[] = [];
    const clauses: string[] = [];
    if (options.beforeId !== undefined) clauses.push(`id < $${params.push(options.beforeId)}`);
    if (options.source !== undefined) clauses.push(`source = $${params.push(options.source)}`);
    const sql = `SELECT * FROM rejects ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.push(options.limit)}`;
    return (await this.pool.query<RejectRow>(sql, params)).rows.map(itemOf);
  }

  async listCustomer(customerId: string, limit: number): Promise<RejectedItem[]> {
    return (await this.pool.query<RejectRow>('SELECT * FROM rejects WHERE customer_id = $1 ORDER BY id DESC LIMIT $2', [customerId, Math.min(limit, Number.MAX_SAFE_INTEGER)])).rows.map(itemOf);
  }

  async purge(o: { receivedBefore?: number; keepNewest?: number }): Promise<number> {
    let n = 0;
    if (o.receivedBefore !== undefined) n += (await this.pool.query('DELETE FROM rejects WHERE received_at < $1', [o.receivedBefore])).rowCount ?? 0;
    // Ids grow with arrival, so the newest are the highest ids.
    if (o.keepNewest !== undefined) n += (await this.pool.query('DELETE FROM rejects WHERE id <= (SELECT id FROM rejects ORDER BY id DESC LIMIT 1 OFFSET $1)', [o.keepNewest])).rowCount ?? 0;
    return n;
  }

  async count(): Promise<number> {
    return (await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM rejects')).rows[0]!.n;
  }

  async eraseCustomer(customerId: string): Promise<number> {
    return (await this.pool.query('DELETE FROM rejects WHERE customer_id = $1', [customerId])).rowCount ?? 0;
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}

const itemOf = (r: RejectRow): RejectedItem => ({
  id: r.id,
  receivedAt: r.received_at,
  source: r.source,
  eventId: r.event_id,
  customerId: r.customer_id,
  issues: JSON.parse(r.issues) as FieldIssue[],
  raw: r.raw,
});
