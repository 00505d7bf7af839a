/**
 * The decision log with its writes on a worker thread. A logged decision was 10-20 KB of
 * JSON (now ~5 KB packed, decisioning/storedRecord.ts, and ~1.5 KB once the worker has
 * deflated it); inserting and committing it, and the WAL
 * checkpoints that follow, took a few hundred microseconds of the event loop per decision
 * and stalled every request now and then. Here the worker owns the only write connection:
 * the main thread serialises the record, writes it into a shared ring (decisionLogRing.ts,
 * decision 0023), and the append resolves once the worker has committed it (so an
 * acknowledged decision is as durable as before). The worker takes everything published
 * since its last commit as one transaction (group commit). Reads run on the main thread's
 * own connection: WAL readers see every commit the worker has acknowledged. WAL checkpoints
 * run on a third thread (checkpointer.ts), so a commit never waits behind one.
 */
import { createRequire } from 'node:module';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Statement } from 'better-sqlite3';
import type { DecisionLog, DecisionQuery, LinkedResponse, LoggedDecision } from '../decisionLog.js';
import { WalCheckpointer } from './checkpointer.js';
import { openSqlite, type SqliteDb } from './db.js';
import { RecordRing, RING_READER_SOURCE, SIGNAL, SLEEPING, type Frame } from './decisionLogRing.js';
import { DECISION_LOG_MIGRATIONS, DUPLICATE_DECISION, ERASE_CHOSEN, INSERT_CHOSEN, INSERT_DECISION, readLoggedDecision, RecordDictionaries, searchDecisions, type DecisionRow } from './decisionLog.js';

// Plain CommonJS so the worker needs no TypeScript loader (it runs under tsx and from dist).
// An eval'd worker resolves bare names from the working directory, not from this package:
// it loads better-sqlite3 by the path resolved here, so the CLI runs from any directory.
// The worker never returns to its event loop: it commits what the ring holds, answers the
// control messages (receiveMessageOnPort), and sleeps in Atomics.wait until the main thread
// bumps SIGNAL.
const WORKER = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const { deflateRawSync } = require('node:zlib');
${RING_READER_SOURCE}
const port = workerData.port;
const ring = ringReader(workerData.ring, workerData.capacity);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
db.pragma('journal_size_limit = 67108864');
db.pragma('secure_delete = ON');
// Checkpoints run on a thread of their own (WalCheckpointer): copying the WAL into the file
// and its two fsyncs held every record behind them for milliseconds, once per 1,000 pages.
db.pragma('wal_autocheckpoint = ' + workerData.autocheckpoint);
const insert = db.prepare(workerData.insertDecision);
const insertChosen = db.prepare(workerData.insertChosen);
const exists = db.prepare('SELECT 1 FROM decisions WHERE decision_id = ?');
const link = db.prepare('INSERT OR IGNORE INTO decision_responses (event_id, decision_id, action_id, channel, response, at) VALUES (?, ?, ?, ?, ?, ?)');
const putCatalogue = db.prepare('INSERT OR IGNORE INTO decision_catalogues (version, body) VALUES (?, ?)');
const eraseResponses = db.prepare('DELETE FROM decision_responses WHERE decision_id IN (SELECT decision_id FROM decisions WHERE customer_id = ?)');
const eraseChosen = db.prepare(workerData.eraseChosen);
const eraseDecisions = db.prepare('DELETE FROM decisions WHERE customer_id = ?');
// A duplicate id fails alone, not the group: its insert changes nothing (no savepoint per record).
const appendMany = db.transaction((frames) => {
  for (const f of frames) {
    if (f.error !== undefined) continue;
    const c = f.row;
    f.duplicate = insert.run(c[0], c[1], c[2], c[3], c[4], JSON.stringify(c[5]), f.deflated, f.dictionary).changes === 0;
    if (!f.duplicate) for (const a of c[5]) insertChosen.run(a, c[3], c[0]);
  }
});
const erase = db.transaction((customerId) => {
  eraseResponses.run(customerId);
  eraseChosen.run(customerId);
  return eraseDecisions.run(customerId).changes;
});
const message = (e) => String((e && e.message) || e);
// Record dictionaries by name (decision 0023): put by the decisioning module, through this
// thread, before the first record that names them. One that is not there is not used.
const selectDictionary = db.prepare('SELECT body FROM decision_catalogues WHERE version = ?');
const dictionaries = new Map();
function dictionary(name) {
  if (typeof name !== 'string') return undefined;
  let d = dictionaries.get(name);
  if (d === undefined) {
    const row = selectDictionary.get(name);
    const text = row ? JSON.parse(row.body) : null;
    d = typeof text === 'string' ? Buffer.from(text, 'utf8') : null;
    if (dictionaries.size >= 1000) dictionaries.clear();
    if (d) dictionaries.set(name, d);
  }
  return d || undefined;
}
/** One group: every frame published so far (bounded), deflated off the event loop and before the write transaction, then one commit. */
function commitGroup() {
  const frames = ring.takeFrames(workerData.maxGroup);
  for (const f of frames) {
    try {
      f.row = JSON.parse(f.columns.toString('utf8'));
      // A packed record's JSON repeats its ids and names: deflated (~5 KB -> ~1 KB with its dictionary) from the ring's bytes, never decoded to a string.
      const d = dictionary(f.row[6]);
      f.dictionary = d ? f.row[6] : null;
      f.deflated = deflateRawSync(f.record, d ? { level: 3, dictionary: d } : { level: 3 });
    } catch (e) {
      f.error = 'decision log: unreadable record (' + message(e) + ')';
    }
  }
  try {
    appendMany(frames);
  } catch (e) {
    for (const f of frames) if (f.error === undefined) f.error = message(e);
  }
  // Outcomes and COMMITTED only after the commit: an acknowledged record is in the file.
  ring.settle(frames);
}
function control(m) {
  try {
    let result = null;
    if (m.op === 'link') {
      const r = m.r;
      result = Boolean(exists.get(m.decisionId));
      if (result) link.run(r.eventId, m.decisionId, r.actionId, r.channel, r.response, r.at);
    } else if (m.op === 'putCatalogue') putCatalogue.run(m.version, m.body);
    // The checkpointer's catch-up (the frames its passive runs missed, so the WAL starts over) and its fallback.
    else if (m.op === 'checkpoint') db.pragma('wal_checkpoint(PASSIVE)');
    else if (m.op === 'autocheckpoint') db.pragma('wal_autocheckpoint = ' + Number(m.pages));
    else if (m.op === 'erase') {
      result = erase(m.customerId);
      // The erased records may still sit in earlier WAL frames: checkpoint and truncate the WAL.
      db.pragma('wal_checkpoint(TRUNCATE)');
    } else throw new Error('unknown op ' + m.op);
    port.postMessage({ k: m.k, ok: true, result });
  } catch (e) {
    port.postMessage({ k: m.k, ok: false, error: message(e) });
  }
}
let closing = false;
for (;;) {
  // Read before looking for work: a publish or message after this read moves SIGNAL, so the wait below returns.
  const signal = Atomics.load(ring.control, ${SIGNAL});
  let m;
  while ((m = receiveMessageOnPort(port)) !== undefined) {
    if (m.message.op === 'close') closing = m.message;
    else control(m.message);
  }
  if (ring.pending()) {
    commitGroup();
    continue;
  }
  if (closing) {
    db.close();
    port.postMessage({ k: closing.k, ok: true, result: null });
    port.close();
    break;
  }
  Atomics.store(ring.control, ${SLEEPING}, 1);
  Atomics.wait(ring.control, ${SIGNAL}, signal);
  Atomics.store(ring.control, ${SLEEPING}, 0);
}
`;
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');
/** The ring's size: ~1,600 records of 5 KB in flight before appends wait in memory for room. */
const RING_BYTES = 8 * 1024 * 1024;
/** The most records one transaction takes (the rest go in the next, straight after). */
const MAX_GROUP = 1024;

interface Reply {
  k: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class WorkerSqliteDecisionLog implements DecisionLog {
  private readonly worker: Worker;
  private readonly checkpointer: WalCheckpointer | undefined;
  private readonly port: MessagePort;
  private readonly reader: SqliteDb;
  private readonly ring: RecordRing;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private next = 1;
  /** Frames in the ring not yet acknowledged, in ring order. */
  private sent: Frame[] = [];
  /** Records waiting for room in the ring (it holds ~1,600: only a stalled writer fills it). */
  private overflow: Frame[] = [];
  private waking = false;
  private waiting = false;
  private failed: Error | undefined;
  private closed = false;
  private readonly selectOne: Statement<unknown[]>;
  private readonly selectResponses: Statement<unknown[]>;
  private readonly selectCustomer: Statement<unknown[]>;
  private readonly selectCatalogue: Statement<unknown[]>;
  private readonly countAll: Statement<unknown[]>;
  private readonly dictionaries: RecordDictionaries;

  /**
   * Opens (creating if needed) the log at `path`; `synchronous` as in SQLite (NORMAL: a
   * process crash loses nothing); `ringBytes`, the hand-off ring's size (a power of two);
   * `checkpoints`, the WAL checkpointer's settings (`false`: the writer checkpoints itself,
   * as SQLite does by default); `onWarning` hears of failed checkpoints.
   */
  constructor(path: string, o: { synchronous?: 'NORMAL' | 'FULL'; ringBytes?: number; checkpoints?: false | { everyMs?: number; restartFrames?: number }; onWarning?: (message: string) => void } = {}) {
    this.ring = new RecordRing(o.ringBytes ?? RING_BYTES);
    this.reader = openSqlite(path, { migrations: { module: 'decisioning_log', list: DECISION_LOG_MIGRATIONS } });
    this.reader.pragma('wal_autocheckpoint = 0'); // the checkpointer's thread checkpoints (or the writer)
    this.selectOne = this.reader.prepare('SELECT * FROM decisions WHERE decision_id = ?');
    this.selectResponses = this.reader.prepare('SELECT event_id, action_id, channel, response, at FROM decision_responses WHERE decision_id = ? ORDER BY at, rowid');
    this.selectCustomer = this.reader.prepare('SELECT * FROM decisions WHERE customer_id = ? ORDER BY decided_at DESC, decision_id DESC LIMIT ?');
    this.selectCatalogue = this.reader.prepare('SELECT body FROM decision_catalogues WHERE version = ?');
    this.countAll = this.reader.prepare('SELECT COUNT(*) AS n FROM decisions');
    this.dictionaries = new RecordDictionaries(this.reader);
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { betterSqlite3: BETTER_SQLITE3, insertDecision: INSERT_DECISION, insertChosen: INSERT_CHOSEN, eraseChosen: ERASE_CHOSEN, path, synchronous: o.synchronous ?? 'NORMAL', autocheckpoint: o.checkpoints === false ? 1000 : 0, ring: this.ring.buffer, capacity: this.ring.capacity, maxGroup: MAX_GROUP, port: channel.port2 },
      transferList: [channel.port2],
    });
    this.port.on('message', (m: Reply) => {
      const p = this.pending.get(m.k);
      if (!p) return;
      this.pending.delete(m.k);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    this.port.unref(); // the worker keeps the process alive while it runs; the port must not after it stops
    const fail = (e: Error) => {
      this.failed ??= e;
      for (const p of this.pending.values()) p.reject(this.failed);
      this.pending.clear();
      for (const f of [...this.sent, ...this.overflow]) f.reject(this.failed);
      this.sent = [];
      this.overflow = [];
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`decision log writer stopped (exit ${code})`)));
    if (o.checkpoints !== false) {
      this.checkpointer = new WalCheckpointer(
        {
          path,
          catchUp: () => this.call({ op: 'checkpoint' }).then(() => undefined),
          fallback: (pages) => void this.call({ op: 'autocheckpoint', pages }).catch(() => undefined),
        },
        // Under steady appends a passive run never leaves the WAL fully copied (records arrive
        // while it copies), so the WAL only starts over after a catch-up on the writer. Right
        // after a run only the frames written during it are left: with a catch-up every
        // 4,096 frames (16 MB) it copies a few and the WAL stays under journal_size_limit, so
        // starting it over never truncates a large file on the writer either.
        { restartFrames: 4096, ...o.checkpoints, ...(o.onWarning ? { onError: o.onWarning } : {}) },
      );
    }
  }

  private call(message: Record<string, unknown>): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error('decision log is closed'));
    const k = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(k, { resolve, reject });
      this.port.postMessage({ ...message, k });
      this.ring.wake();
    });
  }

  /** Resolves once the writer has committed the record. */
  append(d: LoggedDecision): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error('decision log is closed'));
    // The row's columns, a newline (JSON.stringify never writes one), the record: written as UTF-8 into the ring.
    const text = `${JSON.stringify([d.decisionId, d.customerId, d.channel, d.decidedAt, d.catalogueVersion, d.chosenActions, d.recordDictionary ?? null])}\n${JSON.stringify(d.record)}`;
    if (text.length > this.ring.maxPayload / 3 && Buffer.byteLength(text) > this.ring.maxPayload) {
      return Promise.reject(new Error(`decision ${d.decisionId}: its record is ${Buffer.byteLength(text)} bytes, more than the decision log takes (${this.ring.maxPayload})`));
    }
    return new Promise((resolve, reject) => {
      const f: Frame = { text, start: 0, end: 0, resolve, reject };
      if (this.overflow.length > 0 || !this.ring.put(f)) this.overflow.push(f);
      else this.sent.push(f);
      // Also when it did not fit: a skip to the ring's start may have been written, and the writer must pass it.
      this.publish();
    });
  }

  /**
   * Publishes what is in the ring; a sleeping writer is woken once this turn's appends are in
   * (setImmediate), so the records of one turn go in one transaction. A busy writer takes
   * them when its commit is done, with no wake-up at all.
   */
  private publish(): void {
    if (this.ring.publish() && !this.waking) {
      this.waking = true;
      setImmediate(() => {
        this.waking = false;
        this.ring.wake();
      });
    }
    if (!this.waiting) void this.acknowledge();
  }

  /**
   * Settles every frame the committed counter covers, moves waiting records into the freed
   * room, and waits on the counter (Atomics.waitAsync) until no record is left unsettled.
   */
  private async acknowledge(): Promise<void> {
    this.waiting = true;
    try {
      while (!this.failed) {
        const seen = this.ring.committed();
        let i = 0;
        for (; i < this.sent.length && this.ring.isCommitted(this.sent[i]!, seen); i++) {
          const f = this.sent[i]!;
          const error = this.ring.outcome(f, DUPLICATE_DECISION);
          if (error) f.reject(error);
          else f.resolve();
        }
        if (i > 0) this.sent = this.sent.slice(i);
        this.ring.release(seen);
        if (this.overflow.length > 0) {
          while (this.overflow.length > 0 && this.ring.put(this.overflow[0]!)) this.sent.push(this.overflow.shift()!);
          if (this.ring.publish()) this.ring.wake();
        }
        if (this.sent.length === 0 && this.overflow.length === 0) return;
        await this.ring.committedPast(seen);
      }
    } finally {
      this.waiting = false;
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
    return { ...readLoggedDecision(row, this.dictionaries), responses };
  }

  async listCustomer(customerId: string, limit: number): Promise<LoggedDecision[]> {
    return (this.selectCustomer.all(customerId, limit) as DecisionRow[]).map((r) => readLoggedDecision(r, this.dictionaries));
  }

  async search(q: DecisionQuery): Promise<LoggedDecision[]> {
    return searchDecisions(this.reader, this.dictionaries, q);
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
    while (!this.failed && (this.sent.length > 0 || this.overflow.length > 0)) await new Promise((r) => setImmediate(r));
  }

  /** Writes what is queued, stops the worker and closes the reader. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.checkpointer?.stop();
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
