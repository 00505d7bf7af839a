/**
 * The trigger consumer's store in the embedded database: fires, the last readings and the
 * last-seen times per customer, and the checkpoint, so triggers survive a restart. It lives
 * here rather than in store/sqlite because its rows are the trigger module's own types.
 */
import type { EventType } from '../core/events.js';
import type { Statement } from 'better-sqlite3';
import { ensureSchema, type SqliteDb } from '../store/sqlite/db.js';
import { statementCache } from './sqliteStatements.js';
import type { Readings, TriggerFire } from './evaluate.js';
import { readEach, type FireLog, type FireOutcome, type FireRecord, type RememberedBatch } from './fireLog.js';

const MIGRATIONS = [
  `CREATE TABLE trigger_fires (
     fire_id TEXT PRIMARY KEY,
     customer_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     fire TEXT NOT NULL,
     outcome TEXT NOT NULL,
     pending INTEGER NOT NULL
   );
   CREATE INDEX trigger_fires_customer ON trigger_fires (customer_id, at);
   CREATE INDEX trigger_fires_pending ON trigger_fires (pending) WHERE pending = 1;
   CREATE TABLE trigger_readings (customer_id TEXT PRIMARY KEY, readings TEXT NOT NULL);
   CREATE TABLE trigger_seen (customer_id TEXT NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (customer_id, type));
   CREATE TABLE trigger_checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);`,
];

interface FireRow {
  fire: string;
  outcome: string;
}

const record = (r: FireRow): FireRecord => ({ fire: JSON.parse(r.fire) as TriggerFire, outcome: JSON.parse(r.outcome) as FireOutcome });

/** Buffered readings and seen times past this many customers are written at once, checkpoint or not. */
const MAX_BUFFERED = 10_000;

/**
 * The fire log in SQLite. Fires are written as they are claimed and settled; a batch's
 * readings and last-seen times are kept in memory and written with the checkpoint, in one
 * transaction (one statement per event, each its own transaction, was most of the trigger
 * consumer's cost). A crash before the checkpoint replays the batch from the readings the
 * checkpoint was written with, so the fires it makes again are the claimed ones (same ids).
 */
export class SqliteFireLog implements FireLog {
  private readonly st: (sql: string) => Statement;
  private readonly readingsBuffer = new Map<string, Readings>();
  private readonly seenBuffer = new Map<string, Partial<Record<EventType, number>>>();

  constructor(private readonly db: SqliteDb) {
    ensureSchema(db, 'trigger_fires', MIGRATIONS);
    this.st = statementCache(db);
  }

  async claim(fire: TriggerFire): Promise<boolean> {
    const info = this.st(`INSERT INTO trigger_fires (fire_id, customer_id, at, fire, outcome, pending) VALUES (?, ?, ?, ?, '{"status":"pending"}', 1) ON CONFLICT (fire_id) DO NOTHING`)
      .run(fire.fireId, fire.customerId, fire.at, JSON.stringify(fire));
    return info.changes > 0;
  }

  async settle(fireId: string, outcome: FireOutcome): Promise<void> {
    this.st('UPDATE trigger_fires SET outcome = ?, pending = ? WHERE fire_id = ?').run(JSON.stringify(outcome), outcome.status === 'pending' ? 1 : 0, fireId);
  }

  async get(fireId: string): Promise<FireRecord | undefined> {
    const r = this.st('SELECT fire, outcome FROM trigger_fires WHERE fire_id = ?').get(fireId) as FireRow | undefined;
    return r && record(r);
  }

  async forCustomer(customerId: string): Promise<FireRecord[]> {
    return (this.st('SELECT fire, outcome FROM trigger_fires WHERE customer_id = ? ORDER BY at, rowid').all(customerId) as FireRow[]).map(record);
  }

  async forCustomers(customerIds: readonly string[]): Promise<Map<string, FireRecord[]>> {
    return readEach(customerIds, (id) => this.forCustomer(id));
  }

  async pending(): Promise<FireRecord[]> {
    return (this.st('SELECT fire, outcome FROM trigger_fires WHERE pending = 1 ORDER BY rowid').all() as FireRow[]).map(record);
  }

  async recent(limit: number): Promise<FireRecord[]> {
    return (this.st('SELECT fire, outcome FROM trigger_fires ORDER BY at DESC, rowid DESC LIMIT ?').all(limit) as FireRow[]).map(record);
  }

  async lastReadings(customerId: string): Promise<Readings | undefined> {
    const buffered = this.readingsBuffer.get(customerId);
    if (buffered) return buffered;
    const r = this.st('SELECT readings FROM trigger_readings WHERE customer_id = ?').get(customerId) as { readings: string } | undefined;
    return r && (JSON.parse(r.readings) as Readings);
  }

  async lastReadingsMany(customerIds: readonly string[]): Promise<Map<string, Readings>> {
    return readEach(customerIds, (id) => this.lastReadings(id));
  }

  async saveReadings(customerId: string, readings: Readings): Promise<void> {
    this.readingsBuffer.set(customerId, readings);
    if (this.readingsBuffer.size >= MAX_BUFFERED) this.flush();
  }

  async lastSeen(customerId: string): Promise<Partial<Record<EventType, number>>> {
    const rows = this.st('SELECT type, at FROM trigger_seen WHERE customer_id = ?').all(customerId) as { type: EventType; at: number }[];
    const seen: Partial<Record<EventType, number>> = Object.fromEntries(rows.map((r) => [r.type, r.at]));
    for (const [type, at] of Object.entries(this.seenBuffer.get(customerId) ?? {}) as [EventType, number][]) seen[type] = Math.max(seen[type] ?? at, at);
    return seen;
  }

  async saveSeen(customerId: string, type: EventType, at: number): Promise<void> {
    this.bufferSeen(customerId, type, at);
    if (this.seenBuffer.size >= MAX_BUFFERED) this.flush();
  }

  /** Into the buffers, written with the next checkpoint (or at once past MAX_BUFFERED customers). */
  async saveMany(batch: RememberedBatch): Promise<void> {
    for (const [id, r] of batch.readings) this.readingsBuffer.set(id, r);
    for (const [id, types] of batch.seen) for (const [type, at] of Object.entries(types) as [EventType, number][]) this.bufferSeen(id, type, at);
    if (this.readingsBuffer.size >= MAX_BUFFERED || this.seenBuffer.size >= MAX_BUFFERED) this.flush();
  }

  private bufferSeen(customerId: string, type: EventType, at: number): void {
    let seen = this.seenBuffer.get(customerId);
    if (!seen) this.seenBuffer.set(customerId, (seen = {}));
    seen[type] = Math.max(seen[type] ?? at, at);
  }

  async watchedCustomers(): Promise<string[]> {
    const stored = (this.st('SELECT DISTINCT customer_id FROM trigger_seen ORDER BY customer_id').all() as { customer_id: string }[]).map((r) => r.customer_id);
    if (this.seenBuffer.size === 0) return stored;
    return [...new Set([...stored, ...this.seenBuffer.keys()])].sort(); // code-unit order
  }

  async checkpoint(): Promise<number> {
    return (this.st('SELECT seq FROM trigger_checkpoint WHERE id = 1').get() as { seq: number } | undefined)?.seq ?? 0;
  }

  async saveCheckpoint(seq: number): Promise<void> {
    this.flush(seq);
  }

  /** Writes the buffered readings and seen times (and the checkpoint, when given) in one transaction. */
  flush(seq?: number): void {
    if (seq === undefined && this.readingsBuffer.size === 0 && this.seenBuffer.size === 0) return;
    this.db.transaction(() => {
      const reading = this.st('INSERT INTO trigger_readings (customer_id, readings) VALUES (?, ?) ON CONFLICT (customer_id) DO UPDATE SET readings = excluded.readings');
      for (const [customerId, readings] of this.readingsBuffer) reading.run(customerId, JSON.stringify(readings));
      const seen = this.st('INSERT INTO trigger_seen (customer_id, type, at) VALUES (?, ?, ?) ON CONFLICT (customer_id, type) DO UPDATE SET at = max(at, excluded.at)');
      for (const [customerId, types] of this.seenBuffer) for (const [type, at] of Object.entries(types)) seen.run(customerId, type, at);
      if (seq !== undefined) this.st('INSERT INTO trigger_checkpoint (id, seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET seq = max(seq, excluded.seq)').run(seq);
    })();
    this.readingsBuffer.clear();
    this.seenBuffer.clear();
  }

  async erase(customerId: string): Promise<void> {
    this.readingsBuffer.delete(customerId);
    this.seenBuffer.delete(customerId);
    this.db.transaction(() => {
      for (const t of ['trigger_fires', 'trigger_readings', 'trigger_seen']) this.db.prepare(`DELETE FROM ${t} WHERE customer_id = ?`).run(customerId);
    })();
  }
}
