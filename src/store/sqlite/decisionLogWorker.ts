/**
 * The decision log with its writes on a worker thread. A logged decision was 10-20 KB of
 * JSON (now ~5 KB packed, decisioning/storedRecord.ts, and ~1.5 KB once the worker has
 * deflated it); inserting and committing it, and the WAL
 * checkpoints that follow, took a few hundred microseconds of the event loop per decision
 * and stalled every request now and then. Here the worker owns the only write connection:
 * the main thread serialises the record, posts it, and the append resolves once the worker
 * has committed it (so an acknowledged decision is as durable as before). Appends that
 * arrive together go in one transaction (group commit, `schedule`). Reads run on the main
 * thread's own connection: WAL readers see every commit the worker has acknowledged.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Statement } from 'better-sqlite3';
import type { DecisionLog, DecisionQuery, LinkedResponse, LoggedDecision } from '../decisionLog.js';
import { openSqlite, type SqliteDb } from './db.js';
import { DECISION_LOG_MIGRATIONS, DUPLICATE_DECISION, ERASE_CHOSEN, INSERT_CHOSEN, INSERT_DECISION, readLoggedDecision, searchDecisions, type DecisionRow } from './decisionLog.js';

// Plain CommonJS so the worker needs no TypeScript loader (it runs under tsx and from dist).
// An eval'd worker resolves bare names from the working directory, not from this package:
// it loads better-sqlite3 by the path resolved here, so the CLI runs from any directory.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const { deflateRawSync } = require('node:zlib');
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
db.pragma('journal_size_limit = 67108864');
db.pragma('secure_delete = ON');
const insert = db.prepare(workerData.insertDecision);
const insertChosen = db.prepare(workerData.insertChosen);
const exists = db.prepare('SELECT 1 FROM decisions WHERE decision_id = ?');
const link = db.prepare('INSERT OR IGNORE INTO decision_responses (event_id, decision_id, action_id, channel, response, at) VALUES (?, ?, ?, ?, ?, ?)');
const putCatalogue = db.prepare('INSERT OR IGNORE INTO decision_catalogues (version, body) VALUES (?, ?)');
const eraseResponses = db.prepare('DELETE FROM decision_responses WHERE decision_id IN (SELECT decision_id FROM decisions WHERE customer_id = ?)');
const eraseChosen = db.prepare(workerData.eraseChosen);
const eraseDecisions = db.prepare('DELETE FROM decisions WHERE customer_id = ?');
// A duplicate id fails alone, not the batch: its insert changes nothing (no savepoint per record).
const appendMany = db.transaction((items, records) => items.map((d, i) => {
  if (insert.run(d[0], d[1], d[2], d[3], d[4], d[5], records[i]).changes === 0) return workerData.duplicate;
  for (const a of JSON.parse(d[5])) insertChosen.run(a, d[3], d[0]);
  return null;
}));
// Deflated here, off the event loop and before the write transaction: a packed record's JSON repeats its ids and names (~5 KB -> ~1.5 KB).
const deflated = (items) => items.map((d) => deflateRawSync(d[6], { level: 3 }));
const erase = db.transaction((customerId) => {
  eraseResponses.run(customerId);
  eraseChosen.run(customerId);
  return eraseDecisions.run(customerId).changes;
});
parentPort.on('message', (m) => {
  if (m.op === 'close') {
    db.close();
    parentPort.postMessage({ k: m.k, ok: true, result: null });
    parentPort.close();
    return;
  }
  try {
    let result = null;
    if (m.op === 'append') result = appendMany(m.items, deflated(m.items));
    else if (m.op === 'link') {
      const r = m.r;
      result = Boolean(exists.get(m.decisionId));
      if (result) link.run(r.eventId, m.decisionId, r.actionId, r.channel, r.response, r.at);
    } else if (m.op === 'putCatalogue') putCatalogue.run(m.version, m.body);
    else if (m.op === 'erase') {
      result = erase(m.customerId);
      // The erased records may still sit in earlier WAL frames: checkpoint and truncate the WAL.
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
    else throw new Error('unknown op ' + m.op);
    parentPort.postMessage({ k: m.k, ok: true, result });
  } catch (e) {
    parentPort.postMessage({ k: m.k, ok: false, error: String((e && e.message) || e) });
  }
});
`;
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');
/** The longest an append waits for its batch to be sent while another batch is being written. */
const MAX_GATHER_MS = 1;
/** Batches the worker may have queued at once (each is one transaction, written in order). */
const MAX_IN_FLIGHT = 4;

type Row = [decisionId: string, customerId: string, channel: string, decidedAt: number, catalogueVersion: string, chosenActions: string, record: string];
interface Reply {
  k: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class WorkerSqliteDecisionLog implements DecisionLog {
  private readonly worker: Worker;
  private readonly reader: SqliteDb;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private next = 1;
  private queue: { row: Row; resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Batches posted to the worker and not yet committed. */
  private inFlight = 0;
  private scheduled: 'tick' | 'timer' | undefined;
  private failed: Error | undefined;
  private closed = false;
  private readonly selectOne: Statement<unknown[]>;
  private readonly selectResponses: Statement<unknown[]>;
  private readonly selectCustomer: Statement<unknown[]>;
  private readonly selectCatalogue: Statement<unknown[]>;
  private readonly countAll: Statement<unknown[]>;

  /** Opens (creating if needed) the log at `path`; `synchronous` as in SQLite (NORMAL: a process crash loses nothing). */
  constructor(path: string, o: { synchronous?: 'NORMAL' | 'FULL' } = {}) {
    this.reader = openSqlite(path, { migrations: { module: 'decisioning_log', list: DECISION_LOG_MIGRATIONS } });
    this.reader.pragma('wal_autocheckpoint = 0'); // the writer checkpoints
    this.selectOne = this.reader.prepare('SELECT * FROM decisions WHERE decision_id = ?');
    this.selectResponses = this.reader.prepare('SELECT event_id, action_id, channel, response, at FROM decision_responses WHERE decision_id = ? ORDER BY at, rowid');
    this.selectCustomer = this.reader.prepare('SELECT * FROM decisions WHERE customer_id = ? ORDER BY decided_at DESC, decision_id DESC LIMIT ?');
    this.selectCatalogue = this.reader.prepare('SELECT body FROM decision_catalogues WHERE version = ?');
    this.countAll = this.reader.prepare('SELECT COUNT(*) AS n FROM decisions');
    this.worker = new Worker(WORKER, { eval: true, workerData: { betterSqlite3: BETTER_SQLITE3, insertDecision: INSERT_DECISION, insertChosen: INSERT_CHOSEN, eraseChosen: ERASE_CHOSEN, duplicate: DUPLICATE_DECISION, path, synchronous: o.synchronous ?? 'NORMAL' } });
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.k);
      if (!p) return;
      this.pending.delete(m.k);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    const fail = (e: Error) => {
      this.failed ??= e;
      for (const p of this.pending.values()) p.reject(this.failed);
      this.pending.clear();
      for (const q of this.queue) q.reject(this.failed);
      this.queue = [];
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`decision log writer stopped (exit ${code})`)));
  }

  private call(message: Record<string, unknown>): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error('decision log is closed'));
    const k = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(k, { resolve, reject });
      this.worker.postMessage({ ...message, k });
    });
  }

  /** Resolves once the worker has committed the record. */
  append(d: LoggedDecision): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error('decision log is closed'));
    // Strings are posted as they are: ~7 µs for a 22 KB record, where encoding it to bytes
    // to transfer them took ~19 µs (measured on this machine); a packed record is ~5 KB.
    const row: Row = [d.decisionId, d.customerId, d.channel, d.decidedAt, d.catalogueVersion, JSON.stringify(d.chosenActions), JSON.stringify(d.record)];
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Group commit with a bounded wait. With nothing being written, the queue goes as one batch
   * once this turn's appends are in; while a batch is being written, appends gather for at
   * most MAX_GATHER_MS and then go as the next batch, posted behind it (the worker writes
   * batches in order, up to MAX_IN_FLIGHT at once), so no append waits for more than the
   * gathering bound plus the commits ahead of it.
   */
  private schedule(): void {
    if (this.scheduled === 'tick' || (this.scheduled === 'timer' && this.inFlight > 0)) return;
    if (this.inFlight === 0) {
      this.scheduled = 'tick';
      setImmediate(() => {
        this.scheduled = undefined;
        void this.send();
      });
    } else if (this.inFlight < MAX_IN_FLIGHT) {
      this.scheduled = 'timer';
      setTimeout(() => {
        this.scheduled = undefined;
        void this.send();
      }, MAX_GATHER_MS);
    }
  }

  private async send(): Promise<void> {
    if (this.queue.length === 0 || this.inFlight >= MAX_IN_FLIGHT) return;
    const batch = this.queue;
    this.queue = [];
    this.inFlight++;
    try {
      const errors = (await this.call({ op: 'append', items: batch.map((q) => q.row) })) as (string | null)[];
      batch.forEach((q, i) => (errors[i] ? q.reject(new Error(errors[i]!)) : q.resolve()));
    } catch (e) {
      for (const q of batch) q.reject(e as Error);
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
    }
  }

  async get(decisionId: string): Promise<(LoggedDecision & { responses: LinkedResponse[] }) | undefined> {
    const row = this.selectOne.get(decisionId) as DecisionRow | undefined;
    if (!row) return undefined;
    const responses = (this.selectResponses.all(decisionId) as { event_id: string; action_id: string; channel: string; response: string; at: number }[]).map((r) => ({
      eventId: r.event_id,
      actionId: r.action_id,
      channel: r.channel,
      response: r.response,
      at: r.at,
    }));
    return { ...readLoggedDecision(row), responses };
  }

  async listCustomer(customerId: string, limit: number): Promise<LoggedDecision[]> {
    return (this.selectCustomer.all(customerId, limit) as DecisionRow[]).map(readLoggedDecision);
  }

  async search(q: DecisionQuery): Promise<LoggedDecision[]> {
    return searchDecisions(this.reader, q);
  }

  async linkResponse(decisionId: string, response: LinkedResponse): Promise<boolean> {
    await this.drained();
    return (await this.call({ op: 'link', decisionId, r: response })) as boolean;
  }

  async putCatalogue(version: string, catalogue: unknown): Promise<void> {
    await this.call({ op: 'putCatalogue', version, body: JSON.stringify(catalogue) });
  }

  async getCatalogue(version: string): Promise<unknown> {
    const row = this.selectCatalogue.get(version) as { body: string } | undefined;
    return row ? JSON.parse(row.body) : undefined;
  }

  async eraseCustomer(customerId: string): Promise<number> {
    await this.drained();
    return (await this.call({ op: 'erase', customerId })) as number;
  }

  async count(): Promise<number> {
    return (this.countAll.get() as { n: number }).n;
  }

  /** Waits until every append made so far is committed (or has failed). */
  private async drained(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0) await new Promise((r) => setImmediate(r));
  }

  /** Writes what is queued, stops the worker and closes the reader. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.drained();
    if (!this.failed) {
      const done = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
      await this.call({ op: 'close' }).catch(() => undefined);
      this.closed = true;
      await done;
    }
    this.closed = true;
    if (this.reader.open) this.reader.close();
  }
}
