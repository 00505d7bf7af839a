import { OUTBOX_STATUSES, type LeaseRequest, type NewOutboxEntry, type Outbox, type OutboxEntry, type OutboxQuery, type OutboxRow, type OutboxStatus, outboxEntryFromRow } from '../outbox.js';
import { release, type PgAdapterOptions, type PgClient, type PgPool } from './db.js';

const COLUMNS = 'key, decision_id, action_id, customer_id, channel, worklist, message, created_at, expires_at, status, attempts, due_at, leased_by, lease_until, last_error, settled_at';

type Queryable = Pick<PgClient, 'query'>;

/** Inserts entries (one statement), a key already present left as it is; returns the keys added in the order given. */
export async function enqueuePg(c: Queryable, entries: readonly NewOutboxEntry[]): Promise<string[]> {
  if (entries.length === 0) return [];
  const rows = (
    await c.query<{ key: string }>(
      `INSERT INTO outbox (key, decision_id, action_id, customer_id, channel, worklist, message, created_at, expires_at, status, attempts, due_at)
       SELECT k, d, a, cu, ch, w, m, t, x, 'pending', 0, t
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[]) WITH ORDINALITY AS u(k, d, a, cu, ch, w, m, t, x, n)
       ORDER BY n
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [
        entries.map((e) => e.key),
        entries.map((e) => e.decisionId),
        entries.map((e) => e.actionId),
        entries.map((e) => e.customerId),
        entries.map((e) => e.channel),
        entries.map((e) => e.worklist),
        entries.map((e) => JSON.stringify(e.message)),
        entries.map((e) => e.createdAt),
        entries.map((e) => e.expiresAt ?? null),
      ],
    )
  ).rows;
  const added = new Set(rows.map((r) => r.key));
  return [...new Set(entries.map((e) => e.key))].filter((k) => added.has(k));
}

/**
 * The outbox in PostgreSQL, shared by every instance. The contact store writes entries in the
 * transaction of their contacts (`enqueuePg` on its client), so a refused or rolled-back
 * commit leaves none. A lease takes due rows with `FOR UPDATE SKIP LOCKED`: dispatchers on
 * several instances never lease the same entry and never wait on each other.
 */
export class PgOutbox implements Outbox {
  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  enqueue(entries: readonly NewOutboxEntry[]): Promise<string[]> {
    return enqueuePg(this.pool, entries);
  }

  async lease(r: LeaseRequest): Promise<OutboxEntry[]> {
    if (r.channels.length === 0 || r.limit <= 0) return [];
    const args: unknown[] = [[...r.channels], r.now, r.limit, r.by, r.now + r.leaseMs];
    const filters: string[] = [];
    if (r.customerId !== undefined) filters.push(`AND customer_id = $${args.push(r.customerId)}`);
    if (r.worklist !== undefined) filters.push(`AND worklist = $${args.push(r.worklist)}`);
    const rows = (
      await this.pool.query<OutboxRow>(
        `WITH due AS (
           SELECT key FROM outbox
           WHERE channel = ANY($1::text[]) ${filters.join(' ')}
             AND ((status = 'pending' AND due_at <= $2) OR (status = 'leased' AND lease_until <= $2))
           ORDER BY due_at, created_at, seq LIMIT $3
           FOR UPDATE SKIP LOCKED
         )
         UPDATE outbox o SET status = 'leased', leased_by = $4, lease_until = $5, attempts = o.attempts + 1
         FROM due WHERE o.key = due.key
         RETURNING ${COLUMNS.split(', ').map((c) => `o.${c}`).join(', ')}, o.seq`,
        args,
      )
    ).rows as (OutboxRow & { seq: number })[];
    // RETURNING keeps no order: oldest due first, as the lease took them.
    return rows.sort((a, b) => a.due_at - b.due_at || a.created_at - b.created_at || a.seq - b.seq).map(outboxEntryFromRow);
  }

  private async settle(sql: string, args: unknown[]): Promise<boolean> {
    return ((await this.pool.query(sql, args)).rowCount ?? 0) > 0;
  }

  complete(key: string, by: string, now: number): Promise<boolean> {
    return this.settle(`UPDATE outbox SET status = 'delivered', leased_by = NULL, lease_until = NULL, settled_at = $1 WHERE key = $2 AND status = 'leased' AND leased_by = $3`, [now, key, by]);
  }

  retry(key: string, by: string, dueAt: number, error: string): Promise<boolean> {
    return this.settle(`UPDATE outbox SET status = 'pending', leased_by = NULL, lease_until = NULL, due_at = $1, last_error = $2 WHERE key = $3 AND status = 'leased' AND leased_by = $4`, [dueAt, error, key, by]);
  }

  deadLetter(key: string, by: string, now: number, error: string): Promise<boolean> {
    return this.settle(`UPDATE outbox SET status = 'dead', leased_by = NULL, lease_until = NULL, last_error = $1, settled_at = $2 WHERE key = $3 AND status = 'leased' AND leased_by = $4`, [error, now, key, by]);
  }

  async cancel(customerId: string, now: number, reason: string, channels?: readonly string[]): Promise<string[]> {
    const rows = (
      await this.pool.query<{ key: string }>(
        `UPDATE outbox SET status = 'cancelled', leased_by = NULL, lease_until = NULL, last_error = $1, settled_at = $2
         WHERE customer_id = $3 AND status IN ('pending', 'leased') ${channels ? 'AND channel = ANY($4::text[])' : ''} RETURNING key`,
        channels ? [reason, now, customerId, [...channels]] : [reason, now, customerId],
      )
    ).rows;
    return rows.map((r) => r.key).sort();
  }

  async cancelKeys(keys: readonly string[], now: number, reason: string): Promise<string[]> {
    if (keys.length === 0) return [];
    const rows = (
      await this.pool.query<{ key: string }>(
        `UPDATE outbox SET status = 'cancelled', leased_by = NULL, lease_until = NULL, last_error = $1, settled_at = $2 WHERE key = ANY($3::text[]) AND status IN ('pending', 'leased') RETURNING key`,
        [reason, now, [...keys]],
      )
    ).rows;
    return rows.map((r) => r.key).sort();
  }

  revive(key: string, now: number): Promise<boolean> {
    return this.settle(`UPDATE outbox SET status = 'pending', attempts = 0, due_at = $1, settled_at = NULL WHERE key = $2 AND status = 'dead'`, [now, key]);
  }

  async get(key: string): Promise<OutboxEntry | undefined> {
    const r = (await this.pool.query<OutboxRow>(`SELECT ${COLUMNS} FROM outbox WHERE key = $1`, [key])).rows[0];
    return r && outboxEntryFromRow(r);
  }

  async list(q: OutboxQuery): Promise<OutboxEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [column, value] of [['status', q.status], ['customer_id', q.customerId], ['channel', q.channel]] as const) {
      if (value === undefined) continue;
      where.push(`${column} = $${args.push(value)}`);
    }
    const sql = `SELECT ${COLUMNS} FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $${args.push(q.limit ?? 100)}`;
    return (await this.pool.query<OutboxRow>(sql, args)).rows.map(outboxEntryFromRow);
  }

  async counts(): Promise<Record<OutboxStatus, number>> {
    const c = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
    for (const r of (await this.pool.query<{ status: OutboxStatus; n: number }>('SELECT status, COUNT(*)::int AS n FROM outbox GROUP BY status')).rows) c[r.status] = r.n;
    return c;
  }

  async erase(customerId: string): Promise<void> {
    await this.pool.query('DELETE FROM outbox WHERE customer_id = $1', [customerId]);
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}
