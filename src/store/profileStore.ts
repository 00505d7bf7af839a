/** Where the online feature state was when it was saved: the log position and the definitions. */
export interface ProfileCheckpoint {
  /** The last event-log seq whose event is reflected in the saved states. */
  seq: number;
  /** The version (hash) of the feature definitions the states were built with. */
  version: string;
}

/** One customer's saved feature state: an opaque snapshot written by the feature set. */
export interface ProfileSnapshot {
  customerId: string;
  state: Uint8Array;
}

/**
 * The ProfileStore port: saved online feature state per customer, plus the checkpoint
 * that says how far through the log it is. The online store keeps the hot state in
 * memory and commits changed customers in batches; on start it loads the checkpoint
 * and replays the log after it, so a crash never loses a profile update.
 */
export interface ProfileStore {
  /** The saved states of these customers, in the order asked (undefined where none). */
  getMany(customerIds: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  /**
   * Writes states, removes customers and moves the checkpoint, all or nothing. With
   * `partition`, the checkpoint is that partition's (a bus splits the customers among
   * instances, each partition with its own position); only the shared stores keep those.
   */
  commit(batch: { put: readonly ProfileSnapshot[]; remove: readonly string[]; checkpoint: ProfileCheckpoint; partition?: number }): Promise<void>;
  /** The last committed checkpoint, or undefined before the first. */
  checkpoint(): Promise<ProfileCheckpoint | undefined>;
  /** The last committed checkpoint of one partition (PostgreSQL and Redis only: the stores a bus can share). */
  partitionCheckpoint?(partition: number): Promise<ProfileCheckpoint | undefined>;
  /** Drops these customers' states and leaves every checkpoint as it is (erasure with a bus; PostgreSQL and Redis only). */
  forget?(customerIds: readonly string[]): Promise<void>;
  /** Every customer id with a saved state, a page at a time. */
  customerIds(batchSize?: number): AsyncIterable<string[]>;
  /** Drops every state and the checkpoint (the definitions changed: rebuild from the log). */
  clear(): Promise<void>;
  count(): Promise<number>;
  close(): Promise<void>;
}
