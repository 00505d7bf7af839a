import type { ApiKeyStore } from './apiKeyStore.js';
import type { BusTransport, PartitionLeases } from './bus.js';
import type { AuditLog } from './auditLog.js';
import type { CatalogueStore } from './catalogueStore.js';
import type { ConsumerCheckpoints } from './consumer.js';
import type { ContactStore } from './contactStore.js';
import type { CustomerStore } from './customerStore.js';
import type { DecisionLog } from './decisionLog.js';
import type { EventLog } from './eventLog.js';
import type { ExperimentStore } from './experimentStore.js';
import type { ModelRegistry } from './modelRegistry.js';
import type { Outbox } from './outbox.js';
import type { ProfileStore } from './profileStore.js';
import type { RejectStore } from './rejectStore.js';

/**
 * Every port, opened by one backend (memory, SQLite, PostgreSQL with or without Redis). The backend owns
 * its details (files, pragmas, WAL checkpointers, worker threads) and closes them all.
 */
export interface Backend {
  readonly kind: 'memory' | 'sqlite' | 'postgres';
  readonly eventLog: EventLog;
  readonly customers: CustomerStore;
  readonly rejects: RejectStore;
  /** Saved online feature state and its log checkpoint. */
  readonly profiles: ProfileStore;
  readonly contacts: ContactStore;
  /**
   * What the bank means to send, written with the contacts it counts as (`contacts.outboxInCommit`).
   * Absent on a backend that does not hold one yet (PostgreSQL): the engine then keeps it in memory and warns.
   */
  readonly outbox?: Outbox;
  readonly decisionLog: DecisionLog;
  readonly models: ModelRegistry;
  /** Stored catalogue versions and the one in force (shared by every process on the data). */
  readonly catalogues: CatalogueStore;
  /** Stored experiments and the universal control group. */
  readonly experiments: ExperimentStore;
  /** Hashed API keys and their scopes (the HTTP server checks them). */
  readonly apiKeys: ApiKeyStore;
  /** Checkpoints of the log consumers that do not keep their own. */
  readonly checkpoints: ConsumerCheckpoints;
  /** The hash-chained audit trail of administrative acts (`audit.db`, shared with `nextbest keys`). */
  readonly audit: AuditLog;
  /** The key of erased customers' tombstones and of customers named in the audit trail (`tombstone.key`). */
  readonly tombstoneKey: Uint8Array;
  /**
   * After an erasure: truncates every write-ahead log, so no earlier copy of the deleted rows
   * stays in a -wal file (deleted rows themselves are zeroed: secure_delete). False when a
   * reader kept a checkpoint from finishing (the next one will).
   */
  compact(): Promise<boolean>;
  /** With a bus (PostgreSQL stores only): the stream between instances and the partition leases. */
  readonly bus?: { transport: BusTransport; leases: PartitionLeases; leaseMs: number; held: (seqs: readonly number[]) => Promise<Set<number>> };
  /**
   * Erasures made by the other processes on a shared store (PostgreSQL: NOTIFY/LISTEN), so
   * each drops the customer from the state it holds in memory. Absent where one process owns the store.
   */
  readonly erasures?: {
    /** Tells the others, once the stores no longer hold the customer's events. */
    announce(customerId: string): Promise<void>;
    /** Hears the others' erasures from now on; resolves once listening. */
    listen(onErased: (customerId: string) => void): Promise<void>;
  };
  /** Asks each networked service the backend uses whether it answers (none for embedded backends). */
  ping?(timeoutMs: number): Promise<DependencyCheck[]>;
  /** Closes every port and stops what the backend runs; safe to call twice. */
  close(): Promise<void>;
}

/** What a backend reports that is worth a warning (a WAL checkpoint that failed). */
export type BackendWarning = (fields: Record<string, unknown>, message: string) => void;

/** Whether one service a backend depends on (PostgreSQL, Redis) answered a ping in time. */
export interface DependencyCheck {
  name: string;
  ok: boolean;
  error?: string;
}
