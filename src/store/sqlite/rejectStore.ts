import type { FieldIssue } from '../../core/errors.js';
import type { NewReject, RejectedItem, RejectStore } from '../rejectStore.js';
import { ensureSchema, type SqliteDb } from './db.js';

const MIGRATIONS = [
  // Ids are quoted by engineers and used for paging: without AUTOINCREMENT SQLite hands the
  // id of the newest item out again once it is erased (max(rowid) + 1).
  `CREATE TABLE rejects_keyed (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     received_at INTEGER NOT NULL,
     source TEXT NOT NULL,
     event_id TEXT,
     customer_id TEXT,
     issues TEXT NOT NULL,
     raw TEXT NOT NULL
   );
   INSERT INTO rejects_keyed (id, received_at, source, event_id, customer_id, issues, raw) SELECT id, received_at, source, event_id, customer_id, issues, raw FROM rejects;
   DROP TABLE rejects;
   ALTER TABLE rejects_keyed RENAME TO rejects;
   CREATE INDEX rejects_customer ON rejects (customer_id);`,
];

interface RejectRow {
  id: number;
  received_at: number;
  source: string;
  event_id: string | null;
  customer_id: string | null;
  issues: string;
  raw: string;
}

/** The quarantine of rejected items in the embedded database. */
export class SqliteRejectStore implements RejectStore {
  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'rejects', MIGRATIONS);
  }

  async addMany(items: readonly NewReject[]): Promise<void> {
    const stmt = this.db.prepare('INSERT INTO rejects (received_at, source, event_id, customer_id, issues, raw) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const r of items) stmt.run(r.receivedAt, r.source, r.eventId, r.customerId, JSON.stringify(r.issues), r.raw);
    })();
  }

  async list(options: { limit: number; beforeId?: number; source?: string }): Promise<RejectedItem[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (options.beforeId !== undefined) {
      clauses.push('id < ?');
      params.push(options.beforeId);
    }
    if (options.source !== undefined) {
      clauses.push('source = ?');
      params.push(options.source);
    }
    const sql = `SELECT * FROM rejects ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, options.limit) as RejectRow[];
    return rows.map(itemOf);
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM rejects').get() as { n: number }).n;
  }

  async listCustomer(customerId: string, limit: number): Promise<RejectedItem[]> {
    return (this.db.prepare('SELECT * FROM rejects WHERE customer_id = ? ORDER BY id DESC LIMIT ?').all(customerId, limit) as RejectRow[]).map(itemOf);
  }

  async purge(o: { receivedBefore?: number; keepNewest?: number }): Promise<number> {
    return this.db.transaction(() => {
      let n = 0;
      if (o.receivedBefore !== undefined) n += this.db.prepare('DELETE FROM rejects WHERE received_at < ?').run(o.receivedBefore).changes;
      // Ids grow with arrival (AUTOINCREMENT), so the newest are the highest ids.
      if (o.keepNewest !== undefined) n += this.db.prepare('DELETE FROM rejects WHERE id <= (SELECT id FROM rejects ORDER BY id DESC LIMIT 1 OFFSET ?)').run(o.keepNewest).changes;
      return n;
    })();
  }

  async eraseCustomer(customerId: string): Promise<number> {
    return this.db.prepare('DELETE FROM rejects WHERE customer_id = ?').run(customerId).changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
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
