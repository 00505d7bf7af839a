/**
 * The Outbox port: every message the bank means to send, written before it is sent, so a
 * crash between deciding and delivering loses nothing. Entries are keyed by an idempotency
 * key (decision, action, channel): writing the same one twice is a no-op, and receivers
 * dedupe on it, so at-least-once delivery has each message's effect once.
 *
 * An entry is `pending` until a dispatcher (push channels) or a pull client (the app, the
 * chatbot, a call-centre or branch worklist) leases it; a lease that runs out (the holder
 * died) makes it due again. It ends `delivered`, `dead` (out of attempts or refused for
 * good: the dead-letter list) or `cancelled` (consent withdrawn, the customer erased).
 */

export const OUTBOX_STATUSES = ['pending', 'leased', 'delivered', 'dead', 'cancelled'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** What is written to the outbox. */
export interface NewOutboxEntry {
  /** `decisionId:actionId:channel` (see outboxKey). */
  key: string;
  decisionId: string;
  actionId: string;
  customerId: string;
  channel: string;
  /** Who fetches it on a pull channel without a customer at hand: a branch, a call-centre team; '' for none. */
  worklist: string;
  /** What the channel shows: headline, body, disclosure, treatment (no more personal data than the message needs). */
  message: Record<string, unknown>;
  /** Epoch ms; also when it is first due. */
  createdAt: number;
  /** Not delivered after this (epoch ms): it is dead-lettered as expired. */
  expiresAt?: number;
}

/** An entry as the outbox holds it. */
export interface OutboxEntry extends NewOutboxEntry {
  status: OutboxStatus;
  /** Delivery attempts started (a lease counts as one). */
  attempts: number;
  /** When it is next due (epoch ms). */
  dueAt: number;
  leasedBy: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  /** When it reached delivered, dead or cancelled. */
  settledAt: number | null;
}

/** The idempotency key of one delivery: a decision's action on a channel. */
export function outboxKey(decisionId: string, actionId: string, channel: string): string {
  return `${decisionId}:${actionId}:${channel}`;
}

/** Which entries a lease takes: due ones on these channels (and for this customer or worklist). */
export interface LeaseRequest {
  channels: readonly string[];
  customerId?: string;
  worklist?: string;
  now: number;
  leaseMs: number;
  /** The holder's id: a dispatcher instance, a pull client. */
  by: string;
  limit: number;
}

export interface OutboxQuery {
  status?: OutboxStatus;
  customerId?: string;
  channel?: string;
  limit?: number;
}

/** The outbox port; memory and SQLite adapters pass test/store/outbox.contract.ts. */
export interface Outbox {
  /** Adds entries; a key already present is left as it is. Returns the keys added. */
  enqueue(entries: readonly NewOutboxEntry[]): Promise<string[]>;
  /** Leases due entries (pending and due, or leased with the lease run out), oldest due first; each lease is an attempt. */
  lease(request: LeaseRequest): Promise<OutboxEntry[]>;
  /** Marks a leased entry delivered. False when it was not leased by `by` (it was settled or re-leased meanwhile). */
  complete(key: string, by: string, now: number): Promise<boolean>;
  /** Returns a leased entry to pending, due at `dueAt`, with the error. */
  retry(key: string, by: string, dueAt: number, error: string): Promise<boolean>;
  /** Moves a leased entry to the dead-letter list. */
  deadLetter(key: string, by: string, now: number, error: string): Promise<boolean>;
  /** Cancels a customer's pending and leased entries (optionally on some channels only); returns their keys. */
  cancel(customerId: string, now: number, reason: string, channels?: readonly string[]): Promise<string[]>;
  /** Cancels these entries if still pending or leased (a decision whose record could not be logged); returns the keys cancelled. */
  cancelKeys(keys: readonly string[], now: number, reason: string): Promise<string[]>;
  /** Puts a dead entry back to pending, due now, with its attempts reset (an operator's retry). */
  revive(key: string, now: number): Promise<boolean>;
  get(key: string): Promise<OutboxEntry | undefined>;
  /** Entries, oldest first, filtered. */
  list(query: OutboxQuery): Promise<OutboxEntry[]>;
  /** How many entries are in each status. */
  counts(): Promise<Record<OutboxStatus, number>>;
  /** Forgets a customer's entries (GDPR erasure). */
  erase(customerId: string): Promise<void>;
  close(): Promise<void>;
}

/** An entry as both SQL adapters store it (message as JSON text, times as epoch ms). */
export interface OutboxRow {
  key: string;
  decision_id: string;
  action_id: string;
  customer_id: string;
  channel: string;
  worklist: string;
  message: string;
  created_at: number;
  expires_at: number | null;
  status: OutboxStatus;
  attempts: number;
  due_at: number;
  leased_by: string | null;
  lease_until: number | null;
  last_error: string | null;
  settled_at: number | null;
}

/** A stored row as the port's entry. */
export function outboxEntryFromRow(r: OutboxRow): OutboxEntry {
  const e: OutboxEntry = {
    key: r.key,
    decisionId: r.decision_id,
    actionId: r.action_id,
    customerId: r.customer_id,
    channel: r.channel,
    worklist: r.worklist,
    message: JSON.parse(r.message) as Record<string, unknown>,
    createdAt: r.created_at,
    status: r.status,
    attempts: r.attempts,
    dueAt: r.due_at,
    leasedBy: r.leased_by,
    leaseUntil: r.lease_until,
    lastError: r.last_error,
    settledAt: r.settled_at,
  };
  if (r.expires_at !== null) e.expiresAt = r.expires_at;
  return e;
}
