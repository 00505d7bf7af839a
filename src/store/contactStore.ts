/**
 * The ContactStore port: what the bank has shown each customer, what they declined, and
 * daily volume counters. Decisioning reads a customer's history, then commits the
 * contacts of a decision; `commit` re-checks the frequency caps and takes the capacity in
 * one transaction, so two processes never both fill the last slot.
 *
 * A contact of a decision to be delivered is a reservation: it holds the cap from the
 * decision on (so two decisions cannot both be sent under a cap of one), is confirmed by a
 * `delivered` receipt, and `release`d by a failed or cancelled delivery
 * (docs/decisions/0009-contacts-reserved-until-delivered.md).
 */
import type { NewOutboxEntry } from './outbox.js';

/** One action shown (or about to be shown) to a customer on a channel. */
export interface ContactRecord {
  decisionId: string;
  actionId: string;
  family: string;
  channel: string;
  /** Epoch ms. */
  at: number;
  sessionId?: string;
}

/** A declined action: starts the cool-down. */
export interface DeclineRecord {
  actionId: string;
  family: string;
  at: number;
  /** The offer_response event behind it: a decline is recorded once per event (replays after a crash). */
  eventId?: string;
}

export interface ContactHistory {
  contacts: ContactRecord[];
  declines: DeclineRecord[];
}

/** A frequency cap checked at commit: at most `max` contacts matching in (at - periodMs, at]. */
export interface CapCheck {
  channel: string | '*';
  family?: string;
  max: number;
  periodMs: number;
}

/** A daily volume counter: at most `max` takes per key (key includes the day). */
export interface CapacityTake {
  key: string;
  max: number;
}

export type CommitResult = { ok: true } | { ok: false; reason: 'cap'; cap: CapCheck } | { ok: false; reason: 'capacity'; key: string };

export interface ContactStore {
  /** A customer's contacts and declines at or after `sinceMs`, oldest first. */
  history(customerId: string, sinceMs: number): Promise<ContactHistory>;
  /**
   * Atomically: checks that adding `contacts` breaks none of `caps` and that every
   * capacity counter has room, then stores the contacts and takes the capacity. Nothing
   * is stored when a check fails.
   */
  commit(customerId: string, contacts: readonly ContactRecord[], caps: readonly CapCheck[], capacity: readonly CapacityTake[], outbox?: readonly NewOutboxEntry[]): Promise<CommitResult>;
  /**
   * True when `commit` writes its `outbox` entries in the same transaction as the contacts
   * (the store sits beside the outbox); otherwise the caller enqueues them after the commit.
   */
  readonly outboxInCommit?: boolean;
  /**
   * Releases a contact whose delivery failed or was cancelled: it no longer counts against the
   * caps. True when one was removed (a second release of the same one is a no-op).
   */
  release?(customerId: string, contact: { decisionId: string; actionId: string; channel: string }): Promise<boolean>;
  /** How much of each counter is used. */
  capacityUsed(keys: readonly string[]): Promise<number[]>;
  /** Records a decline; a second one with the same eventId is ignored. */
  recordDecline(customerId: string, decline: DeclineRecord): Promise<void>;
  eraseCustomer(customerId: string): Promise<number>;
  /**
   * Withdraws a committed decision's contacts and gives back one take of each capacity counter
   * it took: the compensation when its decision record could not be logged (a contact is never
   * kept without its record). Idempotent on the contacts; returns how many were removed.
   */
  retract(customerId: string, decisionId: string, capacityKeys: readonly string[]): Promise<number>;
  /**
   * Reservations: `commit` also records, in the same write, that the decision's contacts wait
   * for its record; `confirm` drops that once the record is logged. A process killed in
   * between leaves the reservation, and recovery (Decisioning.recoverReservations) retracts
   * the contacts of any whose decision was never logged. Absent where a crash loses the
   * contacts anyway (memory).
   */
  confirm?(decisionIds: readonly string[]): Promise<void>;
  /** Reservations made at or before `atOrBefore` and not yet confirmed. */
  reservations?(atOrBefore: number): Promise<ContactReservation[]>;
  close(): Promise<void>;
}

/** A committed decision's contacts waiting for its record to be logged. */
export interface ContactReservation {
  decisionId: string;
  customerId: string;
  at: number;
  /** The capacity counters its commit took (given back if it is retracted). */
  capacityKeys: string[];
}

/**
 * Whether a stored or new contact counts towards a cap when a commit at `now` is checked:
 * as capMatches, but a contact later than `now` counts too. Decisions on several instances
 * race: one decided a moment later may commit first, and its contact is then in the window
 * of the one decided earlier (measured: 2 contacts under a cap of 1 over 32 decisions on
 * two instances before this rule).
 */
export function capCountsAtCommit(cap: CapCheck, c: { channel: string; family: string; at: number }, now: number): boolean {
  return (cap.channel === '*' || cap.channel === c.channel) && (cap.family === undefined || cap.family === c.family) && c.at > now - cap.periodMs && c.at <= now + CAP_RACE_MS;
}

/**
 * How far after a decision's time another decision's contact still counts against it: the
 * race between instances (and their clocks) is milliseconds; a bound keeps a simulation that
 * replays earlier days over a used store from counting contacts of a later run.
 */
export const CAP_RACE_MS = 60_000;

/** Whether a contact counts towards a cap. */
export function capMatches(cap: CapCheck, c: { channel: string; family: string; at: number }, now: number): boolean {
  return (cap.channel === '*' || cap.channel === c.channel) && (cap.family === undefined || cap.family === c.family) && c.at > now - cap.periodMs && c.at <= now;
}
