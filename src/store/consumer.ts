import type { StoredEvent } from '../core/events.js';

/**
 * A log consumer: one piece of derived state (online features, response links and
 * cool-downs, and next triggers, the outbox, experiment exposure) kept up to date from
 * the event log. It owns a checkpoint, the last log seq its saved state reflects, and
 * catches up from there after a start or a failure. `apply` may see an event again after
 * a crash (the checkpoint lags the state), so it must be idempotent.
 */
export interface LogConsumer {
  /** Stable name: the key of its checkpoint, and how it shows in lag reports. */
  readonly name: string;
  /** Loads the consumer's own checkpoint; the runner replays the log after it. */
  open(): Promise<number>;
  /** Applies events after the checkpoint, in log order; idempotent per event. */
  apply(events: readonly StoredEvent[]): Promise<void>;
  /** GDPR erasure: forgets the customer (their events are already gone from the log). */
  erase(customerId: string): Promise<void>;
  /** Saves what is applied; the stores themselves are closed by the backend. */
  close(): Promise<void>;
}

/** One saved position of a consumer. */
export interface ConsumerCheckpoint {
  name: string;
  seq: number;
}

/**
 * The checkpoint port of consumers whose state lives elsewhere (a decline in the contact
 * store, a response in the decision log): after applying a batch they save its last seq
 * here. The online feature store keeps its own checkpoint with its snapshots instead.
 */
export interface ConsumerCheckpoints {
  /** The saved seq of a consumer, or undefined before its first. */
  get(name: string): Promise<number | undefined>;
  /** Saves a consumer's seq; a lower seq than the saved one is ignored (never moves back). */
  put(name: string, seq: number): Promise<void>;
  /** Every saved checkpoint, by name. */
  list(): Promise<ConsumerCheckpoint[]>;
  close(): Promise<void>;
}

/** Where a consumer is: applying, caught up, waiting to retry after a failure, or paused (test hook). */
export type ConsumerState = 'starting' | 'catching_up' | 'caught_up' | 'retrying' | 'paused' | 'closed';

/** One consumer's lag, as `/readyz` and `GET /v1/ops/consumers` report it. */
export interface ConsumerStatus {
  name: string;
  state: ConsumerState;
  appliedSeq: number;
  headSeq: number;
  /** Log positions not yet applied (an upper bound: erased events leave gaps). */
  lagEvents: number;
  /** How long the oldest unapplied event has waited since it was durable; 0 when caught up. */
  lagMs: number;
  /** Failures in a row (0 once a batch applies). */
  failures: number;
  lastError: string | null;
  lastErrorAt: string | null;
  /** Stuck (failing again and again) or further behind than the limits allow. */
  healthy: boolean;
  /** With a bus: the partitions of the customers this instance applies (the others' are applied elsewhere). */
  partitions?: number[];
}
