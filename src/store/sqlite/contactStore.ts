import { capCountsAtCommit, type CapacityTake, type CapCheck, type CommitResult, type ContactHistory, type ContactRecord, type ContactStore, type DeclineRecord } from '../contactStore.js';
import type { NewOutboxEntry } from '../outbox.js';
import { ensureSchema, type SqliteDb } from './db.js';
import type { SqliteOutbox } from './outbox.js';

const MIGRATIONS = [
  `CREATE TABLE contacts (
     customer_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     decision_id TEXT NOT NULL,
     action_id TEXT NOT NULL,
     family TEXT NOT NULL,
     channel TEXT NOT NULL,
     session_id TEXT
   );
   CREATE INDEX contacts_customer_time ON contacts (customer_id, at);
   CREATE TABLE declines (
     customer_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     action_id TEXT NOT NULL,
     family TEXT NOT NULL
   );
   CREATE INDEX declines_customer_time ON declines (customer_id, at);
   CREATE TABLE capacity_counters (
     key TEXT PRIMARY KEY,
     used INTEGER NOT NULL
   );`,
  // A decline is recorded once per offer_response event, however often the log replays it.
  `ALTER TABLE declines ADD COLUMN event_id TEXT;
   CREATE UNIQUE INDEX declines_event ON declines (event_id) WHERE event_id IS NOT NULL;`,
];

interface ContactRow {
  at: number;
  decision_id: string;
  action_id: string;
  family: string;
  channel: string;
  session_id: string | null;
}

/** Contact history and volume counters in the embedded database. */
export class SqliteContactStore implements ContactStore {
  private readonly selectContacts;
  private readonly selectDeclines;
  private readonly insertContact;
  private readonly selectUsed;
  private readonly upsertUsed;
  private readonly commitTx;
  private readonly batchTx;
  private readonly deleteContact;
  readonly outboxInCommit: boolean;
  private queue: { args: [string, readonly ContactRecord[], readonly CapCheck[], readonly CapacityTake[], readonly NewOutboxEntry[]]; resolve: (r: CommitResult) => void; reject: (e: unknown) => void }[] = [];

  /** With `outbox` (in the same database file), a commit writes its outbox entries in its own transaction. */
  constructor(
    private readonly db: SqliteDb,
    private readonly outbox?: SqliteOutbox,
  ) {
    ensureSchema(db, 'decisioning_contacts', MIGRATIONS);
    this.outboxInCommit = outbox !== undefined;
    this.deleteContact = db.prepare('DELETE FROM contacts WHERE rowid = (SELECT rowid FROM contacts WHERE customer_id = ? AND decision_id = ? AND action_id = ? AND channel = ? LIMIT 1)');
    this.selectContacts = db.prepare('SELECT at, decision_id, action_id, family, channel, session_id FROM contacts WHERE customer_id = ? AND at >= ? ORDER BY at, rowid');
    this.selectDeclines = db.prepare('SELECT at, action_id, family, event_id FROM declines WHERE customer_id = ? AND at >= ? ORDER BY at, rowid');
    this.insertContact = db.prepare('INSERT INTO contacts (customer_id, at, decision_id, action_id, family, channel, session_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.selectUsed = db.prepare('SELECT used FROM capacity_counters WHERE key = ?');
    this.upsertUsed = db.prepare('INSERT INTO capacity_counters (key, used) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET used = used + 1');
    // Check and write in one IMMEDIATE transaction: it takes the write lock first, so
    // another process cannot slip a contact in between the count and the insert.
    this.commitTx = db.transaction((customerId: string, contacts: readonly ContactRecord[], caps: readonly CapCheck[], capacity: readonly CapacityTake[], outbox: readonly NewOutboxEntry[]): CommitResult => {
      if (contacts.length > 0 && caps.length > 0) {
        const now = contacts.reduce((m, c) => Math.max(m, c.at), Number.NEGATIVE_INFINITY);
        const longest = caps.reduce((m, c) => Math.max(m, c.periodMs), 0);
        const existing = (this.selectContacts.all(customerId, now - longest) as ContactRow[]).map(toRecord);
        for (const cap of caps) {
          const used = existing.filter((c) => capCountsAtCommit(cap, c, now)).length + contacts.filter((c) => capCountsAtCommit(cap, c, now)).length;
          if (used > cap.max) return { ok: false, reason: 'cap', cap };
        }
      }
      for (const t of capacity) {
        const row = this.selectUsed.get(t.key) as { used: number } | undefined;
        if ((row?.used ?? 0) >= t.max) return { ok: false, reason: 'capacity', key: t.key };
      }
      for (const t of capacity) this.upsertUsed.run(t.key);
      for (const c of contacts) this.insertContact.run(customerId, c.at, c.decisionId, c.actionId, c.family, c.channel, c.sessionId ?? null);
      if (outbox.length > 0) {
        if (!this.outbox) throw new Error('this contact store has no outbox: enqueue after the commit');
        this.outbox.enqueueIn(outbox);
      }
      return { ok: true };
    });
    // Group commit: commits that arrive together run one after another inside one
    // transaction (each still checks what the ones before it wrote), so they share one fsync.
    this.batchTx = db.transaction((items: typeof this.queue): CommitResult[] => items.map((q) => this.commitTx(...q.args)));
  }

  async history(customerId: string, sinceMs: number): Promise<ContactHistory> {
    const contacts = (this.selectContacts.all(customerId, sinceMs) as ContactRow[]).map(toRecord);
    const declines = (this.selectDeclines.all(customerId, sinceMs) as { at: number; action_id: string; family: string; event_id: string | null }[]).map((r) => {
      const d: DeclineRecord = { actionId: r.action_id, family: r.family, at: r.at };
      if (r.event_id !== null) d.eventId = r.event_id;
      return d;
    });
    return { contacts, declines };
  }

  async commit(customerId: string, contacts: readonly ContactRecord[], caps: readonly CapCheck[], capacity: readonly CapacityTake[], outbox: readonly NewOutboxEntry[] = []): Promise<CommitResult> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ args: [customerId, contacts, caps, capacity, outbox], resolve, reject });
    });
  }

  private flush(): void {
    const items = this.queue;
    this.queue = [];
    try {
      const results = this.batchTx.immediate(items);
      items.forEach((q, k) => q.resolve(results[k]!));
    } catch (e) {
      for (const q of items) q.reject(e);
    }
  }

  async release(customerId: string, c: { decisionId: string; actionId: string; channel: string }): Promise<boolean> {
    return this.deleteContact.run(customerId, c.decisionId, c.actionId, c.channel).changes > 0;
  }

  async capacityUsed(keys: readonly string[]): Promise<number[]> {
    return keys.map((k) => (this.selectUsed.get(k) as { used: number } | undefined)?.used ?? 0);
  }

  async recordDecline(customerId: string, decline: DeclineRecord): Promise<void> {
    this.db.prepare('INSERT OR IGNORE INTO declines (customer_id, at, action_id, family, event_id) VALUES (?, ?, ?, ?, ?)').run(customerId, decline.at, decline.actionId, decline.family, decline.eventId ?? null);
  }

  async eraseCustomer(customerId: string): Promise<number> {
    return this.db.transaction(() => {
      const a = this.db.prepare('DELETE FROM contacts WHERE customer_id = ?').run(customerId).changes;
      const b = this.db.prepare('DELETE FROM declines WHERE customer_id = ?').run(customerId).changes;
      return a + b;
    })();
  }

  /** The database belongs to the engine, which closes it. */
  async close(): Promise<void> {}
}

function toRecord(r: ContactRow): ContactRecord {
  const c: ContactRecord = { decisionId: r.decision_id, actionId: r.action_id, family: r.family, channel: r.channel, at: r.at };
  if (r.session_id !== null) c.sessionId = r.session_id;
  return c;
}
