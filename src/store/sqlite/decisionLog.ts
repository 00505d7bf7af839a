import type { DecisionLog, LinkedResponse, LoggedDecision } from '../decisionLog.js';
import { ensureSchema, type SqliteDb } from './db.js';

export const DECISION_LOG_MIGRATIONS = [
  `CREATE TABLE decisions (
     decision_id TEXT PRIMARY KEY,
     customer_id TEXT NOT NULL,
     channel TEXT NOT NULL,
     decided_at INTEGER NOT NULL,
     catalogue_version TEXT NOT NULL,
     record TEXT NOT NULL
   );
   CREATE INDEX decisions_customer_time ON decisions (customer_id, decided_at);
   CREATE TABLE decision_responses (
     event_id TEXT PRIMARY KEY,
     decision_id TEXT NOT NULL REFERENCES decisions (decision_id) ON DELETE CASCADE,
     action_id TEXT NOT NULL,
     channel TEXT NOT NULL,
     response TEXT NOT NULL,
     at INTEGER NOT NULL
   );
   CREATE INDEX decision_responses_decision ON decision_responses (decision_id, at);
   CREATE TABLE decision_catalogues (
     version TEXT PRIMARY KEY,
     body TEXT NOT NULL
   );`,
];

export interface DecisionRow {
  decision_id: string;
  customer_id: string;
  channel: string;
  decided_at: number;
  catalogue_version: string;
  record: string;
}

export const readLoggedDecision = (r: DecisionRow): LoggedDecision => ({ decisionId: r.decision_id, customerId: r.customer_id, channel: r.channel, decidedAt: r.decided_at, catalogueVersion: r.catalogue_version, record: JSON.parse(r.record) });

/** The decision log in the embedded database. */
export class SqliteDecisionLog implements DecisionLog {
  private readonly insert;
  private readonly select;
  private readonly insertMany;
  private queue: { d: LoggedDecision; resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'decisioning_log', DECISION_LOG_MIGRATIONS);
    this.insert = db.prepare('INSERT INTO decisions (decision_id, customer_id, channel, decided_at, catalogue_version, record) VALUES (?, ?, ?, ?, ?, ?)');
    this.select = db.prepare('SELECT * FROM decisions WHERE decision_id = ?');
    // Each record in its own savepoint: a duplicate id fails alone, not the batch.
    this.insertMany = db.transaction((items: typeof this.queue) =>
      items.map((q) => {
        try {
          db.transaction(() => this.insert.run(q.d.decisionId, q.d.customerId, q.d.channel, q.d.decidedAt, q.d.catalogueVersion, JSON.stringify(q.d.record)))();
          return undefined;
        } catch (e) {
          return e;
        }
      }),
    );
  }

  /** Resolves once the record is durable. Appends that arrive together share one transaction (group commit). */
  async append(d: LoggedDecision): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ d, resolve, reject });
    });
  }

  private flush(): void {
    const items = this.queue;
    this.queue = [];
    try {
      const errors = this.insertMany(items);
      items.forEach((q, k) => (errors[k] ? q.reject(errors[k]) : q.resolve()));
    } catch (e) {
      for (const q of items) q.reject(e);
    }
  }

  async get(decisionId: string): Promise<(LoggedDecision & { responses: LinkedResponse[] }) | undefined> {
    const row = this.select.get(decisionId) as DecisionRow | undefined;
    if (!row) return undefined;
    const responses = (this.db.prepare('SELECT event_id, action_id, channel, response, at FROM decision_responses WHERE decision_id = ? ORDER BY at, rowid').all(decisionId) as { event_id: string; action_id: string; channel: string; response: string; at: number }[]).map(
      (r) => ({ eventId: r.event_id, actionId: r.action_id, channel: r.channel, response: r.response, at: r.at }),
    );
    return { ...readLoggedDecision(row), responses };
  }

  async listCustomer(customerId: string, limit: number): Promise<LoggedDecision[]> {
    return (this.db.prepare('SELECT * FROM decisions WHERE customer_id = ? ORDER BY decided_at DESC, decision_id DESC LIMIT ?').all(customerId, limit) as DecisionRow[]).map(readLoggedDecision);
  }

  async linkResponse(decisionId: string, r: LinkedResponse): Promise<boolean> {
    if (!this.select.get(decisionId)) return false;
    this.db.prepare('INSERT OR IGNORE INTO decision_responses (event_id, decision_id, action_id, channel, response, at) VALUES (?, ?, ?, ?, ?, ?)').run(r.eventId, decisionId, r.actionId, r.channel, r.response, r.at);
    return true;
  }

  async putCatalogue(version: string, catalogue: unknown): Promise<void> {
    this.db.prepare('INSERT OR IGNORE INTO decision_catalogues (version, body) VALUES (?, ?)').run(version, JSON.stringify(catalogue));
  }

  async getCatalogue(version: string): Promise<unknown> {
    const row = this.db.prepare('SELECT body FROM decision_catalogues WHERE version = ?').get(version) as { body: string } | undefined;
    return row ? JSON.parse(row.body) : undefined;
  }

  async eraseCustomer(customerId: string): Promise<number> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM decision_responses WHERE decision_id IN (SELECT decision_id FROM decisions WHERE customer_id = ?)').run(customerId);
      return this.db.prepare('DELETE FROM decisions WHERE customer_id = ?').run(customerId).changes;
    })();
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM decisions').get() as { n: number }).n;
  }

  /** The database belongs to the engine, which closes it. */
  async close(): Promise<void> {}
}
