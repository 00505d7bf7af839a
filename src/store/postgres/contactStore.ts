import { capCountsAtCommit, type ContactReservation, type CapacityTake, type CapCheck, type CommitResult, type ContactHistory, type ContactRecord, type ContactStore, type DeclineRecord } from '../contactStore.js';
import type { NewOutboxEntry } from '../outbox.js';
import { inTransaction, lockFor, release, type PgAdapterOptions, type PgClient, type PgPool } from './db.js';
import { enqueuePg } from './outbox.js';

interface ContactRow {
  at: number;
  decision_id: string;
  action_id: string;
  family: string;
  channel: string;
  session_id: string | null;
}

const toRecord = (r: ContactRow): ContactRecord => {
  const c: ContactRecord = { decisionId: r.decision_id, actionId: r.action_id, family: r.family, channel: r.channel, at: r.at };
  if (r.session_id !== null) c.sessionId = r.session_id;
  return c;
};

/** Thrown inside the transaction to roll it back with a refusal as the answer. */
class Refused extends Error {
  constructor(readonly result: CommitResult) {
    super('refused');
  }
}

/**
 * Contact history and capacity counters in PostgreSQL, shared by every instance. A commit
 * is one transaction that first takes an advisory lock on the customer (a cap counts rows
 * that do not exist yet, which no row lock can guard), then locks the capacity counters
 * it takes in key order (so two commits never wait on each other in a circle), checks
 * everything, and writes. Two instances committing for one customer run one after the
 * other, and the second sees the first's contacts.
 */
export class PgContactStore implements ContactStore {
  /** With `outbox` (the PgOutbox on the same schema), a commit writes its outbox entries in its own transaction. */
  readonly outboxInCommit: boolean;

  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions & { outbox?: boolean } = {},
  ) {
    this.outboxInCommit = o.outbox === true;
  }

  async history(customerId: string, sinceMs: number): Promise<ContactHistory> {
    const contacts = (await this.pool.query<ContactRow>('SELECT at, decision_id, action_id, family, channel, session_id FROM contacts WHERE customer_id = $1 AND at >= $2 ORDER BY at, id', [customerId, sinceMs])).rows.map(toRecord);
    const declines = (await this.pool.query<{ at: number; action_id: string; family: string; event_id: string | null }>('SELECT at, action_id, family, event_id FROM declines WHERE customer_id = $1 AND at >= $2 ORDER BY at, id', [customerId, sinceMs])).rows.map((r) => {
      const d: DeclineRecord = { actionId: r.action_id, family: r.family, at: r.at };
      if (r.event_id !== null) d.eventId = r.event_id;
      return d;
    });
    return { contacts, declines };
  }

  async commit(customerId: string, contacts: readonly ContactRecord[], caps: readonly CapCheck[], capacity: readonly CapacityTake[], outbox: readonly NewOutboxEntry[] = []): Promise<CommitResult> {
    if (outbox.length > 0 && !this.outboxInCommit) throw new Error('this contact store has no outbox: enqueue after the commit');
    try {
      return await inTransaction(this.pool, async (c) => {
        await lockFor(c, 'contacts', customerId);
        await checkCaps(c, customerId, contacts, caps);
        await takeCapacity(c, capacity);
        if (contacts.length > 0) {
          await c.query(
            `INSERT INTO contacts (customer_id, at, decision_id, action_id, family, channel, session_id)
             SELECT $1, a, d, x, f, ch, s FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS u(a, d, x, f, ch, s, n) ORDER BY n`,
            [customerId, contacts.map((k) => k.at), contacts.map((k) => k.decisionId), contacts.map((k) => k.actionId), contacts.map((k) => k.family), contacts.map((k) => k.channel), contacts.map((k) => k.sessionId ?? null)],
          );
          await c.query('INSERT INTO contact_reservations (decision_id, customer_id, at, capacity_keys) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [contacts[0]!.decisionId, customerId, Math.max(...contacts.map((k) => k.at)), JSON.stringify(capacity.map((t) => t.key))]);
        }
        // The contact and its delivery commit together, or neither does.
        await enqueuePg(c, outbox);
        return { ok: true } as const;
      });
    } catch (e) {
      if (e instanceof Refused) return e.result;
      throw e;
    }
  }

  /** Gives back one contact whose delivery failed or was cancelled: it no longer counts against the caps. */
  async release(customerId: string, k: { decisionId: string; actionId: string; channel: string }): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      await lockFor(c, 'contacts', customerId);
      const n = (await c.query('DELETE FROM contacts WHERE id = (SELECT id FROM contacts WHERE customer_id = $1 AND decision_id = $2 AND action_id = $3 AND channel = $4 ORDER BY id LIMIT 1)', [customerId, k.decisionId, k.actionId, k.channel])).rowCount ?? 0;
      return n > 0;
    });
  }

  async capacityUsed(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const rows = (await this.pool.query<{ key: string; used: number }>('SELECT key, used FROM capacity_counters WHERE key = ANY($1::text[])', [[...new Set(keys)]])).rows;
    const used = new Map(rows.map((r) => [r.key, r.used]));
    return keys.map((k) => used.get(k) ?? 0);
  }

  async recordDecline(customerId: string, decline: DeclineRecord): Promise<void> {
    // Once per event: the response linker may replay a decline after a crash.
    await this.pool.query('INSERT INTO declines (customer_id, at, action_id, family, event_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [customerId, decline.at, decline.actionId, decline.family, decline.eventId ?? null]);
  }

  async eraseCustomer(customerId: string): Promise<number> {
    return inTransaction(this.pool, async (c) => {
      const a = (await c.query('DELETE FROM contacts WHERE customer_id = $1', [customerId])).rowCount ?? 0;
      const b = (await c.query('DELETE FROM declines WHERE customer_id = $1', [customerId])).rowCount ?? 0;
      await c.query('DELETE FROM contact_reservations WHERE customer_id = $1', [customerId]);
      return a + b;
    });
  }

  async retract(customerId: string, decisionId: string, capacityKeys: readonly string[]): Promise<number> {
    return inTransaction(this.pool, async (c) => {
      await lockFor(c, 'contacts', customerId);
      const n = (await c.query('DELETE FROM contacts WHERE customer_id = $1 AND decision_id = $2', [customerId, decisionId])).rowCount ?? 0;
      // Only when the contacts were still there: a second retraction gives nothing back twice.
      if (n > 0 && capacityKeys.length > 0) await c.query('UPDATE capacity_counters SET used = GREATEST(used - 1, 0) WHERE key = ANY($1::text[])', [[...capacityKeys]]);
      await c.query('DELETE FROM contact_reservations WHERE decision_id = $1', [decisionId]);
      return n;
    });
  }

  async confirm(decisionIds: readonly string[]): Promise<void> {
    if (decisionIds.length > 0) await this.pool.query('DELETE FROM contact_reservations WHERE decision_id = ANY($1::text[])', [[...decisionIds]]);
  }

  async reservations(atOrBefore: number): Promise<ContactReservation[]> {
    const rows = (await this.pool.query<{ decision_id: string; customer_id: string; at: number; capacity_keys: string }>('SELECT decision_id, customer_id, at, capacity_keys FROM contact_reservations WHERE at <= $1 ORDER BY at', [atOrBefore])).rows;
    return rows.map((r) => ({ decisionId: r.decision_id, customerId: r.customer_id, at: r.at, capacityKeys: JSON.parse(r.capacity_keys) as string[] }));
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}

/** Refuses (by throwing Refused) when the new contacts would break a cap. */
async function checkCaps(c: PgClient, customerId: string, contacts: readonly ContactRecord[], caps: readonly CapCheck[]): Promise<void> {
  if (contacts.length === 0 || caps.length === 0) return;
  const now = contacts.reduce((m, k) => Math.max(m, k.at), Number.NEGATIVE_INFINITY);
  const longest = caps.reduce((m, k) => Math.max(m, k.periodMs), 0);
  const existing = (await c.query<ContactRow>('SELECT at, decision_id, action_id, family, channel, session_id FROM contacts WHERE customer_id = $1 AND at >= $2', [customerId, now - longest])).rows;
  for (const cap of caps) {
    const used = existing.filter((k) => capCountsAtCommit(cap, k, now)).length + contacts.filter((k) => capCountsAtCommit(cap, k, now)).length;
    if (used > cap.max) throw new Refused({ ok: false, reason: 'cap', cap });
  }
}

/** Locks the counters in key order, refuses when one is full, else takes one of each. */
async function takeCapacity(c: PgClient, capacity: readonly CapacityTake[]): Promise<void> {
  if (capacity.length === 0) return;
  const keys = [...new Set(capacity.map((t) => t.key))].sort();
  await c.query('INSERT INTO capacity_counters (key, used) SELECT k, 0 FROM unnest($1::text[]) AS u(k) ORDER BY k ON CONFLICT (key) DO NOTHING', [keys]);
  const rows = (await c.query<{ key: string; used: number }>('SELECT key, used FROM capacity_counters WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE', [keys])).rows;
  const used = new Map(rows.map((r) => [r.key, r.used]));
  for (const t of capacity) if ((used.get(t.key) ?? 0) >= t.max) throw new Refused({ ok: false, reason: 'capacity', key: t.key });
  const takes = new Map<string, number>();
  for (const t of capacity) takes.set(t.key, (takes.get(t.key) ?? 0) + 1);
  await c.query('UPDATE capacity_counters SET used = used + u.n FROM unnest($1::text[], $2::int[]) AS u(k, n) WHERE key = u.k', [[...takes.keys()], [...takes.values()]]);
}
