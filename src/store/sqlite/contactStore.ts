import { capCountsAtCommit, type ContactReservation, type CapacityTake, type CapCheck, type CommitResult, type ContactHistory, type ContactRecord, type ContactStore, type DeclineRecord } from '../contactStore.js';
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
  // A committed decision's contacts waiting for its record (ContactStore.confirm).
  `CREATE TABLE contact_reservations (
     decision_id TEXT PRIMARY KEY,
     customer_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     capacity_keys TEXT NOT NULL
   );`,
];

/** The longest a confirmation waits for a commit to be written with. */
const CONFIRM_WAIT_MS = 200;

interface ContactRow {
  at: number;
  decision_id: string;
  action_id: string;
  family: string;
  channel: string;
  session_id: string | null;
}

/** A customer's contacts and declines at or after `since`, oldest first, as the file holds them. */
interface Cached {
  since: number;
  contacts: ContactRecord[];
  declines: DeclineRecord[];
}

interface PendingCommit {
  customerId: string;
  contacts: readonly ContactRecord[];
  capacity: readonly CapacityTake[];
  /** Outbox entries written in the same transaction as the contacts they count as. */
  outbox: readonly NewOutboxEntry[];
  resolve: (r: CommitResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Contact history and volume counters in the embedded database, served from memory with
 * write-through. The process that holds the data dir is its only writer (decision 0006), so
 * what it has read or written is the truth until it stops: a decision's history and cap check
 * read memory (the SQLite queries were 17% of a decision's CPU), and a commit is checked and
 * applied in memory at once, then written with the other commits of the same turn of the event
 * loop in one transaction (group commit); it resolves once that is durable, and is undone in
 * memory if the write fails. Memory holds at most `maxCustomers` histories (least recently
 * used go first) and `maxCounters` capacity counters; anything else is read from the file.
 */
export class SqliteContactStore implements ContactStore {
  private readonly selectContacts;
  private readonly selectDeclines;
  private readonly insertContact;
  private readonly selectUsed;
  private readonly upsertUsed;
  private readonly insertDecline;
  private readonly writeTx;
  private readonly histories = new Map<string, Cached>();
  private readonly counters = new Map<string, number>();
  private queue: PendingCommit[] = [];
  private readonly maxCustomers: number;
  private readonly maxCounters: number;
  private readonly outbox: SqliteOutbox | undefined;
  private readonly deleteContact;
  private readonly insertReservation;
  private readonly deleteReservation;
  /** Confirmed decisions whose reservations go with the next write. */
  private confirmed: string[] = [];
  /** Writes the confirmations when no commit has taken them along. */
  private confirmTimer: NodeJS.Timeout | undefined;
  /** With an outbox (in the same database file), a commit writes its outbox entries in its own transaction. */
  readonly outboxInCommit: boolean;

  constructor(
    private readonly db: SqliteDb,
    o: { outbox?: SqliteOutbox; maxCustomers?: number; maxCounters?: number } = {},
  ) {
    ensureSchema(db, 'decisioning_contacts', MIGRATIONS);
    this.outbox = o.outbox;
    this.outboxInCommit = o.outbox !== undefined;
    this.maxCustomers = o.maxCustomers ?? 200_000;
    this.maxCounters = o.maxCounters ?? 100_000;
    this.selectContacts = db.prepare('SELECT at, decision_id, action_id, family, channel, session_id FROM contacts WHERE customer_id = ? AND at >= ? ORDER BY at, rowid');
    this.selectDeclines = db.prepare('SELECT at, action_id, family, event_id FROM declines WHERE customer_id = ? AND at >= ? ORDER BY at, rowid');
    this.insertContact = db.prepare('INSERT INTO contacts (customer_id, at, decision_id, action_id, family, channel, session_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.selectUsed = db.prepare('SELECT used FROM capacity_counters WHERE key = ?');
    this.upsertUsed = db.prepare('INSERT INTO capacity_counters (key, used) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET used = used + 1');
    this.insertDecline = db.prepare('INSERT OR IGNORE INTO declines (customer_id, at, action_id, family, event_id) VALUES (?, ?, ?, ?, ?)');
    this.deleteContact = db.prepare('DELETE FROM contacts WHERE rowid = (SELECT rowid FROM contacts WHERE customer_id = ? AND decision_id = ? AND action_id = ? AND channel = ? LIMIT 1)');
    this.insertReservation = db.prepare('INSERT OR IGNORE INTO contact_reservations (decision_id, customer_id, at, capacity_keys) VALUES (?, ?, ?, ?)');
    this.deleteReservation = db.prepare('DELETE FROM contact_reservations WHERE decision_id = ?');
    // The commits of one turn, already checked in memory, in one transaction (one WAL commit),
    // with the reservations they make and those confirmed since the last write.
    this.writeTx = db.transaction((items: readonly PendingCommit[], confirmed: readonly string[]) => {
      for (const id of confirmed) this.deleteReservation.run(id);
      for (const q of items) {
        if (q.contacts.length > 0) this.insertReservation.run(q.contacts[0]!.decisionId, q.customerId, Math.max(...q.contacts.map((c) => c.at)), JSON.stringify(q.capacity.map((t) => t.key)));
        for (const t of q.capacity) this.upsertUsed.run(t.key);
        for (const c of q.contacts) this.insertContact.run(q.customerId, c.at, c.decisionId, c.actionId, c.family, c.channel, c.sessionId ?? null);
        if (q.outbox.length > 0) this.outbox!.enqueueIn(q.outbox);
      }
    });
  }

  async history(customerId: string, sinceMs: number): Promise<ContactHistory> {
    const h = this.cached(customerId, sinceMs);
    return { contacts: h.contacts.filter((c) => c.at >= sinceMs).map((c) => ({ ...c })), declines: h.declines.filter((d) => d.at >= sinceMs).map((d) => ({ ...d })) };
  }

  async commit(customerId: string, contacts: readonly ContactRecord[], caps: readonly CapCheck[], capacity: readonly CapacityTake[], outbox: readonly NewOutboxEntry[] = []): Promise<CommitResult> {
    if (outbox.length > 0 && !this.outbox) throw new Error('this contact store has no outbox: enqueue after the commit');
    // Synchronous from the check to the change in memory: atomic in this process, the only writer.
    if (contacts.length > 0 && caps.length > 0) {
      const now = contacts.reduce((m, c) => Math.max(m, c.at), Number.NEGATIVE_INFINITY);
      const longest = caps.reduce((m, c) => Math.max(m, c.periodMs), 0);
      const existing = this.cached(customerId, now - longest).contacts;
      for (const cap of caps) {
        let used = 0;
        for (const c of existing) if (capCountsAtCommit(cap, c, now)) used++;
        for (const c of contacts) if (capCountsAtCommit(cap, c, now)) used++;
        if (used > cap.max) return { ok: false, reason: 'cap', cap };
      }
    }
    for (const t of capacity) if (this.used(t.key) >= t.max) return { ok: false, reason: 'capacity', key: t.key };
    this.apply(customerId, contacts, capacity, +1);
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ customerId, contacts: contacts.map((c) => ({ ...c })), capacity, outbox, resolve, reject });
    });
  }

  /** Writes the queued commits; a failed write is undone in memory and fails its commits. */
  private flush(): void {
    if (this.confirmTimer !== undefined) {
      clearTimeout(this.confirmTimer);
      this.confirmTimer = undefined;
    }
    const items = this.queue;
    this.queue = [];
    const confirmed = this.confirmed;
    this.confirmed = [];
    if (items.length === 0 && confirmed.length === 0) return;
    try {
      this.writeTx.immediate(items, confirmed);
      for (const q of items) q.resolve({ ok: true });
    } catch (e) {
      for (const q of items) {
        this.apply(q.customerId, q.contacts, q.capacity, -1);
        q.reject(e);
      }
    }
  }

  /** Adds (+1) or takes back (-1) a commit's contacts and counter takes in memory. */
  private apply(customerId: string, contacts: readonly ContactRecord[], capacity: readonly CapacityTake[], sign: 1 | -1): void {
    for (const t of capacity) this.counters.set(t.key, this.used(t.key) + sign);
    const h = this.histories.get(customerId);
    if (!h || contacts.length === 0) return;
    if (sign > 0) {
      h.contacts.push(...contacts.map((c) => ({ ...c })));
      h.contacts.sort((a, b) => a.at - b.at);
    } else h.contacts = h.contacts.filter((c) => !contacts.some((x) => x.decisionId === c.decisionId && x.actionId === c.actionId && x.at === c.at));
  }

  /** A customer's history from `sinceMs` on, read from the file at most once per widening. */
  private cached(customerId: string, sinceMs: number): Cached {
    const h = this.histories.get(customerId);
    if (h && h.since <= sinceMs) {
      // Most recently used last: the first key is the one to evict.
      this.histories.delete(customerId);
      this.histories.set(customerId, h);
      return h;
    }
    // Commits not yet written are in memory only: write them before reading the file.
    this.flush();
    const since = Math.min(sinceMs, h?.since ?? sinceMs);
    const fresh: Cached = {
      since,
      contacts: (this.selectContacts.all(customerId, since) as ContactRow[]).map(toRecord),
      declines: (this.selectDeclines.all(customerId, since) as { at: number; action_id: string; family: string; event_id: string | null }[]).map((r) => {
        const d: DeclineRecord = { actionId: r.action_id, family: r.family, at: r.at };
        if (r.event_id !== null) d.eventId = r.event_id;
        return d;
      }),
    };
    this.histories.delete(customerId);
    this.histories.set(customerId, fresh);
    if (this.histories.size > this.maxCustomers) this.histories.delete(this.histories.keys().next().value!);
    return fresh;
  }

  private used(key: string): number {
    let n = this.counters.get(key);
    if (n === undefined) {
      this.flush();
      n = (this.selectUsed.get(key) as { used: number } | undefined)?.used ?? 0;
      // Counters carry the day in their key: the oldest days go first.
      if (this.counters.size >= this.maxCounters) this.counters.delete(this.counters.keys().next().value!);
      this.counters.set(key, n);
    }
    return n;
  }

  /** Gives back one delivered-or-not contact (a failed, bounced or cancelled delivery no longer counts against the caps). */
  async release(customerId: string, c: { decisionId: string; actionId: string; channel: string }): Promise<boolean> {
    this.flush();
    const released = this.deleteContact.run(customerId, c.decisionId, c.actionId, c.channel).changes > 0;
    const h = this.histories.get(customerId);
    if (released && h) {
      const i = h.contacts.findIndex((x) => x.decisionId === c.decisionId && x.actionId === c.actionId && x.channel === c.channel);
      if (i >= 0) h.contacts.splice(i, 1);
    }
    return released;
  }

  async capacityUsed(keys: readonly string[]): Promise<number[]> {
    return keys.map((k) => this.used(k));
  }

  async recordDecline(customerId: string, decline: DeclineRecord): Promise<void> {
    const added = this.insertDecline.run(customerId, decline.at, decline.actionId, decline.family, decline.eventId ?? null).changes > 0;
    const h = this.histories.get(customerId);
    if (added && h && decline.at >= h.since) {
      h.declines.push({ ...decline });
      h.declines.sort((a, b) => a.at - b.at);
    }
  }

  async eraseCustomer(customerId: string): Promise<number> {
    this.flush();
    this.histories.delete(customerId);
    return this.db.transaction(() => {
      const a = this.db.prepare('DELETE FROM contacts WHERE customer_id = ?').run(customerId).changes;
      const b = this.db.prepare('DELETE FROM declines WHERE customer_id = ?').run(customerId).changes;
      this.db.prepare('DELETE FROM contact_reservations WHERE customer_id = ?').run(customerId);
      return a + b;
    })();
  }

  /** Withdraws a decision's contacts and gives back its capacity (its record could not be logged); in the file and in memory. */
  async retract(customerId: string, decisionId: string, capacityKeys: readonly string[]): Promise<number> {
    this.flush();
    const n = this.db.transaction(() => {
      const n = this.db.prepare('DELETE FROM contacts WHERE customer_id = ? AND decision_id = ?').run(customerId, decisionId).changes;
      // Only when the contacts were still there: a second retraction gives nothing back twice.
      if (n > 0) for (const k of capacityKeys) this.db.prepare('UPDATE capacity_counters SET used = max(used - 1, 0) WHERE key = ?').run(k);
      this.deleteReservation.run(decisionId);
      return n;
    }).immediate();
    if (n > 0) {
      const h = this.histories.get(customerId);
      if (h) h.contacts = h.contacts.filter((c) => c.decisionId !== decisionId);
      for (const k of capacityKeys) {
        const used = this.counters.get(k);
        if (used !== undefined) this.counters.set(k, Math.max(0, used - 1));
      }
    }
    return n;
  }

  /** Drops the reservations with the next write (a crash before it leaves them for recovery, which finds the records logged). */
  async confirm(decisionIds: readonly string[]): Promise<void> {
    if (decisionIds.length === 0) return;
    this.confirmed.push(...decisionIds);
    // Confirmations ride with the next commit's transaction: one write per decision, not two.
    // With no commit coming, a timer writes them; a crash before either leaves reservations
    // whose records recovery finds logged. Reads of reservations write them first.
    if (this.queue.length === 0 && this.confirmTimer === undefined) {
      this.confirmTimer = setTimeout(() => {
        this.confirmTimer = undefined;
        this.flush();
      }, CONFIRM_WAIT_MS);
      this.confirmTimer.unref();
    }
  }

  async reservations(atOrBefore: number): Promise<ContactReservation[]> {
    this.flush();
    return (this.db.prepare('SELECT decision_id, customer_id, at, capacity_keys FROM contact_reservations WHERE at <= ? ORDER BY at').all(atOrBefore) as { decision_id: string; customer_id: string; at: number; capacity_keys: string }[]).map((r) => ({
      decisionId: r.decision_id,
      customerId: r.customer_id,
      at: r.at,
      capacityKeys: JSON.parse(r.capacity_keys) as string[],
    }));
  }

  /** Writes what is queued; the database belongs to the engine, which closes it. */
  async close(): Promise<void> {
    this.flush();
  }
}

function toRecord(r: ContactRow): ContactRecord {
  const c: ContactRecord = { decisionId: r.decision_id, actionId: r.action_id, family: r.family, channel: r.channel, at: r.at };
  if (r.session_id !== null) c.sessionId = r.session_id;
  return c;
}
