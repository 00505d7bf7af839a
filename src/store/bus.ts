import type { StoredEvent } from '../core/events.js';

/**
 * The bus between instances (docs/decisions/0011-partitioned-consumers-on-nats.md): the
 * event log, once durable, is published to a stream partitioned by customer; each
 * partition is consumed by the one instance that holds its lease.
 */

/** The partition of a customer: FNV-1a of the id, so one customer's events stay in order in one partition. */
export function partitionOf(customerId: string, partitions: number): number {
  let h = 2166136261;
  for (let i = 0; i < customerId.length; i++) h = Math.imul(h ^ customerId.charCodeAt(i), 16777619);
  return (h >>> 0) % partitions;
}

/** A running subscription to one partition. */
export interface BusSubscription {
  /** Settles when the subscription ends (rejects with the handler's error). */
  done: Promise<void>;
  /** Stops taking messages; what is not acknowledged is delivered again later. */
  stop(): Promise<void>;
}

/** The transport: a stream with one subject per partition (NATS JetStream in production). */
export interface BusTransport {
  readonly partitions: number;
  /** Publishes events in the order given; resolves once the stream has stored every one (a republished seq is dropped as a duplicate). */
  publish(events: readonly StoredEvent[]): Promise<void>;
  /**
   * Hands a partition's events to `onBatch` in stream order, a batch at a time (at most
   * `maxBatch`); a batch is acknowledged once `onBatch` resolved. When it throws, the
   * subscription ends and the batch is delivered again.
   */
  subscribe(partition: number, maxBatch: number, onBatch: (events: StoredEvent[]) => Promise<void>): Promise<BusSubscription>;
  /** Events of a partition stored and not yet acknowledged. */
  pending(partition: number): Promise<number>;
  /** Drops every stored message of a customer (erasure). */
  purgeCustomer(customerId: string): Promise<void>;
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** What a heartbeat left this instance holding. */
export interface LeaseState {
  /** Partitions this instance owns now, ascending. */
  partitions: number[];
  /** Of those, the ones above its share: stop their work, then `release` them. */
  surplus: number[];
  /** Whether it is the relay (the one publisher of the log). */
  relay: boolean;
  /** Instances seen alive within the lease time, this one included. */
  instances: number;
}

/** Where a partition is: the last seq of it applied, and the last published. */
export interface PartitionProgress {
  partition: number;
  owner: string | null;
  appliedSeq: number;
  publishedSeq: number;
}

/**
 * Partition leases with heartbeats (PostgreSQL in production): an instance holds about
 * its share of the partitions (partitions / live instances) and renews them; a dead
 * instance's leases expire and the others take them; a new instance's share is released
 * to it by the others at their next heartbeat.
 */
export interface PartitionLeases {
  readonly instanceId: string;
  /** Renews this instance's leases and takes or gives back partitions to reach its share. */
  heartbeat(): Promise<LeaseState>;
  /** Gives partitions back (after their work has stopped), for another instance to take. */
  release(partitions: readonly number[]): Promise<void>;
  /** Records how far a partition's consumers are; ignored unless this instance still owns it. */
  applied(partition: number, seq: number): Promise<boolean>;
  /** The relay's checkpoint (the last log seq published). */
  relayCheckpoint(): Promise<number>;
  /** After a publish: the relay's checkpoint and the last seq published per partition. */
  published(seq: number, perPartition: ReadonlyMap<number, number>): Promise<void>;
  /** Every partition's progress. */
  progress(): Promise<PartitionProgress[]>;
  /** Gives up every lease (a clean stop hands partitions over at once). */
  releaseAll(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A consumer split by partition: its state and checkpoint are kept per partition, so any
 * instance can take a partition over from where it was committed. `applyPartition` must
 * commit the state and the checkpoint before it resolves, and be idempotent per event.
 */
export interface PartitionConsumer {
  readonly name: string;
  /** The last log seq of this partition the saved state reflects (0 before the first, or when the state was lost). */
  openPartition(partition: number): Promise<number>;
  /** Applies a partition's events (in log order, after its checkpoint) and commits state and checkpoint together. */
  applyPartition(partition: number, events: readonly StoredEvent[]): Promise<void>;
  /** Optional: the runner replayed the log up to its head for this partition and now follows the bus. */
  caughtUp?(partition: number): Promise<void>;
  /** GDPR erasure of the customer's derived state. */
  erase(customerId: string): Promise<void>;
}
