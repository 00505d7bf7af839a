import type { BankEvent, EventType, StoredEvent } from '../core/events.js';

/** One event to append, already validated, with its canonical body and event time. */
export interface AppendItem {
  event: BankEvent;
  /** Canonical JSON of `event` (see core/canonical): compared for idempotency. */
  body: string;
  /** occurredAt as epoch ms. */
  t: number;
}

/**
 * Per item: stored now, already stored with the same content, or an eventId reused with
 * different content (the stored event is left as it was).
 */
export type AppendOutcome =
  | { status: 'accepted'; seq: number }
  | { status: 'duplicate'; seq: number }
  | { status: 'conflict'; seq: number };

/** Events as stored, not parsed: per event its seq, its time (epoch ms) and its body as appended. */
export interface StoredBodyPage {
  seq: Float64Array;
  t: Float64Array;
  bodies: string[];
}

export interface EventQuery {
  /** Inclusive lower bound on event time (epoch ms). */
  fromT?: number;
  /** Exclusive upper bound on event time (epoch ms). */
  toT?: number;
  types?: readonly EventType[];
}

export interface ScanOptions extends EventQuery {
  /** Events per yielded page; memory is bounded by this, not by the log. */
  batchSize?: number;
}

/**
 * The append-only event log. Appends are atomic per item and idempotent on eventId; a
 * call resolves only once its events are durable. Reads come back in event-time order
 * (occurredAt, then arrival).
 */
export interface EventLog {
  appendMany(items: readonly AppendItem[], recordedAt: number): Promise<AppendOutcome[]>;
  /** One customer's events in event-time order. */
  readCustomer(customerId: string, query?: EventQuery): Promise<StoredEvent[]>;
  /** All events in a time range, in event-time order, a page at a time. */
  scan(options?: ScanOptions): AsyncIterable<StoredEvent[]>;
  /** Events in arrival order after a log position: how consumers catch up. */
  readAfter(seq: number, limit: number): Promise<StoredEvent[]>;
  /**
   * As `readAfter` from `seq` to the log's end, a page at a time, unparsed: each event's
   * position, time and stored body (the JSON appended). For a reader that needs a few
   * fields of millions of events (the training snapshot's build); a log without it is read
   * with `readAfter`.
   */
  bodyPages?(seq: number, pageSize: number): AsyncIterable<StoredBodyPage>;
  /**
   * The highest seq ever given out (0 for an empty log). Seqs are never reused, not even
   * after an erasure removed the newest events: consumer checkpoints point into them.
   */
  head(): Promise<number>;
  count(query?: EventQuery & { customerId?: string }): Promise<number>;
  /** Removes the events of one type with event time before `beforeT` (a retention period ending); returns how many. */
  purgeType(type: EventType, beforeT: number): Promise<number>;
  /** Removes every event of a customer (GDPR erasure); returns how many. */
  eraseCustomer(customerId: string): Promise<number>;
  close(): Promise<void>;
}
