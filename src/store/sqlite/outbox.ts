import { OUTBOX_STATUSES, type LeaseRequest, type NewOutboxEntry, type Outbox, type OutboxEntry, type OutboxQuery, type OutboxRow, type OutboxStatus, outboxEntryFromRow } from '../outbox.js';
import { ensureSchema, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE outbox (
     key TEXT PRIMARY KEY,
     decision_id TEXT NOT NULL,
     action_id TEXT NOT NULL,
     customer_id TEXT NOT NULL,
     channel TEXT NOT NULL,
     worklist TEXT NOT NULL,
     message TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     due_at INTEGER NOT NULL,
     leased_by TEXT,
     lease_until INTEGER,
     last_error TEXT,
     settled_at INTEGER
   );
   CREATE INDEX outbox_due ON outbox (channel, due_at) WHERE status IN ('pending', 'leased');
   CREATE INDEX outbox_customer ON outbox (customer_id, created_at);`,
];

/**
 * The outbox in the embedded database. It lives in the same file as the contact history, so
 * the wiring can write an entry in the transaction that records the contact (`enqueueIn`
 * runs inside a caller's transaction). Leases are taken in an IMMEDIATE transaction: two
 * dispatchers never lease the same entry.
 */
export class SqliteOutbox implements Outbox {
  private readonly insert;
  private readonly leaseTx;
  private readonly byKey;

  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'channels_outbox', MIGRATIONS);
    this.insert = db.prepare(
      `INSERT INTO outbox (key, decision_id, action_id, customer_id, channel, worklist, message, created_at, expires_at, status, attempts, due_at)
       VALUES (@key, @decisionId, @actionId, @customerId, @channel, @worklist, @message, @createdAt, @expiresAt, 'pending', 0, @createdAt)
       ON CONFLICT (key) DO NOTHING`,
    );
    this.byKey = db.prepare('SELECT * FROM outbox WHERE key = ?');
    this.leaseTx = db.transaction((r: LeaseRequest): OutboxRow[] => {
      const marks = r.channels.map(() => '?').join(',');
      const filters = [r.customerId !== undefined ? 'AND customer_id = ?' : '', r.worklist !== undefined ? 'AND worklist = ?' : ''].join(' ');
      const args = [...r.channels, ...(r.customerId !== undefined ? [r.customerId] : []), ...(r.worklist !== undefined ? [r.worklist] : [])];
      const rows = db
        .prepare(
          `SELECT key FROM outbox WHERE channel IN (${marks}) ${filters}
           AND ((status = 'pending' AND due_at <= ?) OR (status = 'leased' AND lease_until <= ?))
           ORDER BY due_at, created_at LIMIT ?`,
        )
        .all(...args, r.now, r.now, r.limit) as { key: string }[];
      const update = db.prepare(`UPDATE outbox SET status = 'leased', leased_by = ?, lease_until = ?, attempts = attempts + 1 WHERE key = ? RETURNING *`);
      return rows.map((k) => update.get(r.by, r.now + r.leaseMs, k.key) as OutboxRow);
    });
  }

  /** Adds entries inside the caller's transaction (the contact's): call it from within `db.transaction`. */
  enqueueIn(entries: readonly NewOutboxEntry[]): string[] {
    const added: string[] = [];
    for (const e of entries) {
      const info = this.insert.run({ ...e, worklist: e.worklist, message: JSON.stringify(e.message), expiresAt: e.expiresAt ?? null });
      if (info.changes > 0) added.push(e.key);
    }
    return added;
  }

  async enqueue(entries: readonly NewOutboxEntry[]): Promise<string[]> {
    return this.db.transaction(() => this.enqueueIn(entries)).immediate();
  }

  async lease(r: LeaseRequest): Promise<OutboxEntry[]> {
    if (r.channels.length === 0 || r.limit <= 0) return [];
    return this.leaseTx.immediate(r).map(outboxEntryFromRow);
  }

  private settle(sql: string, ...args: unknown[]): boolean {
    return this.db.prepare(sql).run(...args).changes > 0;
  }

  async complete(key: string, by: string, now: number): Promise<boolean> {
    return this.settle(`UPDATE outbox SET status = 'delivered', leased_by = NULL, lease_until = NULL, settled_at = ? WHERE key = ? AND status = 'leased' AND leased_by = ?`, now, key, by);
  }

  async retry(key: string, by: string, dueAt: number, error: string): Promise<boolean> {
    return this.settle(`UPDATE outbox SET status = 'pending', leased_by = NULL, lease_until = NULL, due_at = ?, last_error = ? WHERE key = ? AND status = 'leased' AND leased_by = ?`, dueAt, error, key, by);
  }

  async deadLetter(key: string, by: string, now: number, error: string): Promise<boolean> {
    return this.settle(`UPDATE outbox SET status = 'dead', leased_by = NULL, lease_until = NULL, last_error = ?, settled_at = ? WHERE key = ? AND status = 'leased' AND leased_by = ?`, error, now, key, by);
  }

  async cancel(customerId: string, now: number, reason: string, channels?: readonly string[]): Promise<string[]> {
    const only = channels ? `AND channel IN (${channels.map(() => '?').join(',')})` : '';
    const rows = this.db
      .prepare(`UPDATE outbox SET status = 'cancelled', leased_by = NULL, lease_until = NULL, last_error = ?, settled_at = ? WHERE customer_id = ? AND status IN ('pending', 'leased') ${only} RETURNING key`)
      .all(reason, now, customerId, ...(channels ?? [])) as { key: string }[];
    return rows.map((r) => r.key).sort();
  }

  async cancelKeys(keys: readonly string[], now: number, reason: string): Promise<string[]> {
    const cancel = this.db.prepare(`UPDATE outbox SET status = 'cancelled', leased_by = NULL, lease_until = NULL, last_error = ?, settled_at = ? WHERE key = ? AND status IN ('pending', 'leased') RETURNING key`);
    return this.db.transaction(() => keys.flatMap((k) => (cancel.all(reason, now, k) as { key: string }[]).map((r) => r.key)))().sort();
  }

  async revive(key: string, now: number): Promise<boolean> {
    return this.settle(`UPDATE outbox SET status = 'pending', attempts = 0, due_at = ?, settled_at = NULL WHERE key = ? AND status = 'dead'`, now, key);
  }

  async get(key: string): Promise<OutboxEntry | undefined> {
    const r = this.byKey.get(key) as OutboxRow | undefined;
    return r && outboxEntryFromRow(r);
  }

  async list(q: OutboxQuery): Promise<OutboxEntry[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const [column, value] of [['status', q.status], ['customer_id', q.customerId], ['channel', q.channel]] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    const sql = `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY rowid LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit ?? 100) as OutboxRow[]).map(outboxEntryFromRow);
  }

  async counts(): Promise<Record<OutboxStatus, number>> {
    const c = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
    for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM outbox GROUP BY status').all() as { status: OutboxStatus; n: number }[]) c[r.status] = r.n;
    return c;
  }

  async erase(customerId: string): Promise<void> {
    this.db.prepare('DELETE FROM outbox WHERE customer_id = ?').run(customerId);
  }

  async close(): Promise<void> {}
}
