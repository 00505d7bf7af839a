import { inflateRawSync } from 'node:zlib';
import type { DecisionLog, DecisionQuery, LinkedResponse, LoggedDecision } from '../decisionLog.js';
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
  // Reviewers search by time across customers (GET /v1/decisions).
  'CREATE INDEX decisions_time ON decisions (decided_at, decision_id);',
  // The chosen action ids as columns (issue 21): records are packed and deflated, so searches
  // filter on this index and listings read chosen_actions, never the record.
  `ALTER TABLE decisions ADD COLUMN chosen_actions TEXT NOT NULL DEFAULT '[]';
   CREATE TABLE decision_actions (
     action_id TEXT NOT NULL,
     decided_at INTEGER NOT NULL,
     decision_id TEXT NOT NULL,
     PRIMARY KEY (action_id, decided_at, decision_id)
   ) WITHOUT ROWID;
   UPDATE decisions SET chosen_actions = (SELECT json_group_array(json_extract(c.value, '$.actionId')) FROM json_each(decisions.record, '$.chosen') AS c WHERE json_type(c.value, '$.actionId') = 'text')
     WHERE typeof(record) = 'text' AND json_valid(record) AND json_type(record, '$.chosen') = 'array';
   INSERT OR IGNORE INTO decision_actions (action_id, decided_at, decision_id) SELECT a.value, d.decided_at, d.decision_id FROM decisions d, json_each(d.chosen_actions) AS a;`,
  // The dictionary a deflated record was compressed with (decision 0023): the name of its
  // entry in decision_catalogues; NULL for text and for records deflated without one.
  'ALTER TABLE decisions ADD COLUMN record_dictionary TEXT;',
];

/**
 * The insert of a decision's row (a duplicate id changes nothing: the caller fails that one
 * record with DUPLICATE_DECISION, no savepoint per record), of its chosen actions into their
 * index, and the index rows of a customer's decisions (erasure): both adapters, the worker's too.
 */
export const INSERT_DECISION = 'INSERT INTO decisions (decision_id, customer_id, channel, decided_at, catalogue_version, chosen_actions, record, record_dictionary) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (decision_id) DO NOTHING';
export const INSERT_CHOSEN = 'INSERT OR IGNORE INTO decision_actions (action_id, decided_at, decision_id) VALUES (?, ?, ?)';
export const ERASE_CHOSEN = 'DELETE FROM decision_actions WHERE (action_id, decided_at, decision_id) IN (SELECT a.value, d.decided_at, d.decision_id FROM decisions d, json_each(d.chosen_actions) AS a WHERE d.customer_id = ?)';
export const DUPLICATE_DECISION = 'UNIQUE constraint failed: decisions.decision_id (the decision is already logged)';

export interface DecisionRow {
  decision_id: string;
  customer_id: string;
  channel: string;
  decided_at: number;
  catalogue_version: string;
  chosen_actions: string;
  /** JSON text, or (written by the log's worker) the JSON deflated (raw DEFLATE) as a BLOB. */
  record: string | Uint8Array;
  /** The dictionary the BLOB was deflated with, by name (NULL: none). */
  record_dictionary: string | null;
}

/**
 * The record dictionaries of a log, by name, as the bytes deflate was primed with: read from
 * decision_catalogues once (they never change: the name is their content hash).
 */
export class RecordDictionaries {
  private readonly known = new Map<string, Buffer>();
  private readonly select;
  constructor(db: SqliteDb) {
    this.select = db.prepare('SELECT body FROM decision_catalogues WHERE version = ?');
  }
  get(name: string): Buffer {
    let d = this.known.get(name);
    if (!d) {
      const row = this.select.get(name) as { body: string } | undefined;
      const text: unknown = row ? JSON.parse(row.body) : undefined;
      if (typeof text !== 'string') throw new Error(`decision log: record dictionary ${name} is not in decision_catalogues`);
      if (this.known.size >= 1000) this.known.clear();
      this.known.set(name, (d = Buffer.from(text, 'utf8')));
    }
    return d;
  }
}

/** A stored record's JSON: as it is, or inflated (with its dictionary, if any) when the worker stored it deflated. */
const recordJson = (r: DecisionRow, dictionaries: RecordDictionaries): string => {
  if (typeof r.record === 'string') return r.record;
  return inflateRawSync(r.record, r.record_dictionary ? { dictionary: dictionaries.get(r.record_dictionary) } : {}).toString('utf8');
};

/** A row as the port gives it. */
export const readLoggedDecision = (r: DecisionRow, dictionaries: RecordDictionaries): LoggedDecision => ({
  decisionId: r.decision_id,
  customerId: r.customer_id,
  channel: r.channel,
  decidedAt: r.decided_at,
  catalogueVersion: r.catalogue_version,
  chosenActions: JSON.parse(r.chosen_actions) as string[],
  record: JSON.parse(recordJson(r, dictionaries)),
});

/**
 * The reviewers' search over the decision log, shared by both SQLite adapters: the indexed
 * columns narrow the rows; a chosen action is matched in its index (decision_actions).
 */
export function searchDecisions(db: SqliteDb, dictionaries: RecordDictionaries, q: DecisionQuery): LoggedDecision[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const term = (sql: string, v: string | number | undefined) => {
    if (v === undefined) return;
    where.push(sql);
    args.push(v);
  };
  term('customer_id = ?', q.customerId);
  term('channel = ?', q.channel);
  term('decided_at >= ?', q.from);
  term('decided_at < ?', q.to);
  if (q.before !== undefined) {
    where.push('(decided_at < ? OR (decided_at = ? AND decision_id < ?))');
    args.push(q.before.decidedAt, q.before.decidedAt, q.before.decisionId);
  }
  if (q.actionId !== undefined) {
    where.push('EXISTS (SELECT 1 FROM decision_actions AS c WHERE c.action_id = ? AND c.decided_at = decisions.decided_at AND c.decision_id = decisions.decision_id)');
    args.push(q.actionId);
  }
  const sql = `SELECT * FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY decided_at DESC, decision_id DESC LIMIT ?`;
  return (db.prepare(sql).all(...args, q.limit) as DecisionRow[]).map((r) => readLoggedDecision(r, dictionaries));
}

/** The decision log in the embedded database. */
export class SqliteDecisionLog implements DecisionLog {
  private readonly insert;
  private readonly insertChosen;
  private readonly select;
  private readonly insertMany;
  private queue: { d: LoggedDecision; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private readonly dictionaries: RecordDictionaries;

  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'decisioning_log', DECISION_LOG_MIGRATIONS);
    this.dictionaries = new RecordDictionaries(db);
    this.insert = db.prepare(INSERT_DECISION);
    this.insertChosen = db.prepare(INSERT_CHOSEN);
    this.select = db.prepare('SELECT * FROM decisions WHERE decision_id = ?');
    // A duplicate id fails alone, not the batch (and another batch's first record wins).
    this.insertMany = db.transaction((items: typeof this.queue) =>
      items.map((q) => {
        const d = q.d;
        if (this.insert.run(d.decisionId, d.customerId, d.channel, d.decidedAt, d.catalogueVersion, JSON.stringify(d.chosenActions), JSON.stringify(d.record), null).changes === 0) return new Error(DUPLICATE_DECISION);
        for (const a of d.chosenActions) this.insertChosen.run(a, d.decidedAt, d.decisionId);
        return undefined;
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
    return { ...readLoggedDecision(row, this.dictionaries), responses };
  }

  async listCustomer(customerId: string, limit: number): Promise<LoggedDecision[]> {
    return (this.db.prepare('SELECT * FROM decisions WHERE customer_id = ? ORDER BY decided_at DESC, decision_id DESC LIMIT ?').all(customerId, limit) as DecisionRow[]).map((r) => readLoggedDecision(r, this.dictionaries));
  }

  async search(q: DecisionQuery): Promise<LoggedDecision[]> {
    return searchDecisions(this.db, this.dictionaries, q);
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
      this.db.prepare(ERASE_CHOSEN).run(customerId);
      return this.db.prepare('DELETE FROM decisions WHERE customer_id = ?').run(customerId).changes;
    })();
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM decisions').get() as { n: number }).n;
  }

  /** The database belongs to the engine, which closes it. */
  async close(): Promise<void> {}
}
