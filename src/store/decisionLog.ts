/**
 * The DecisionLog port: every decision with its inputs, model versions, scores, policy
 * outcomes and explanation, stored as an opaque JSON record the decisioning module owns;
 * customer responses (offer_response events) are linked back to it; catalogue snapshots
 * are kept by version so any logged decision can be replayed.
 */

/**
 * The columns the store indexes; the record travels as `record`, opaque to the store: the
 * decisioning module packs it (decisioning/storedRecord.ts) and only its `readRecord` reads it.
 */
export interface LoggedDecision {
  decisionId: string;
  customerId: string;
  channel: string;
  /** Epoch ms of the decision. */
  decidedAt: number;
  catalogueVersion: string;
  /** The chosen action ids in rank order (an indexed column: searches and reports filter on it without reading the record). */
  chosenActions: string[];
  record: unknown;
  /**
   * A write hint: the name of a catalogue-table entry (`putCatalogue`, a string) that primes
   * the compression of `record`. An adapter that compresses records keeps which one it used
   * to read them back; others ignore it (reads may or may not give it back).
   */
  recordDictionary?: string;
}

/** A customer's answer to a decided action, from an offer_response event. */
export interface LinkedResponse {
  eventId: string;
  actionId: string;
  channel: string;
  response: string;
  at: number;
}

/**
 * A page of the decision log for reviewers: every filter optional, newest first. `actionId`
 * matches decisions that chose that action (`chosenActions`, indexed). `before` is
 * the cursor: the (decidedAt, decisionId) of the last row of the previous page.
 */
export interface DecisionQuery {
  customerId?: string;
  channel?: string;
  actionId?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  before?: { decidedAt: number; decisionId: string };
  limit: number;
}

export interface DecisionLog {
  append(decision: LoggedDecision): Promise<void>;
  /** Decisions matching every given filter, newest first (decidedAt, then decisionId). */
  search(query: DecisionQuery): Promise<LoggedDecision[]>;
  /** The decision and its linked responses, or undefined. */
  get(decisionId: string): Promise<(LoggedDecision & { responses: LinkedResponse[] }) | undefined>;
  /** A customer's decisions, newest first. */
  listCustomer(customerId: string, limit: number): Promise<LoggedDecision[]>;
  /** Links a response; false when the decision is unknown. Idempotent by eventId. */
  linkResponse(decisionId: string, response: LinkedResponse): Promise<boolean>;
  /**
   * Keeps a catalogue snapshot by version, and the other lists compact records refer to by
   * content-addressed keys (`profile-keys:…`, decisioning/storedRecord.ts): written once,
   * never changed; a second put of a key is ignored.
   */
  putCatalogue(version: string, catalogue: unknown): Promise<void>;
  getCatalogue(version: string): Promise<unknown>;
  eraseCustomer(customerId: string): Promise<number>;
  count(): Promise<number>;
  close(): Promise<void>;
}
