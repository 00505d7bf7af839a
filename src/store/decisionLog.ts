/**
 * The DecisionLog port: every decision with its inputs, model versions, scores, policy
 * outcomes and explanation, stored as an opaque JSON record the decisioning module owns;
 * customer responses (offer_response events) are linked back to it; catalogue snapshots
 * are kept by version so any logged decision can be replayed.
 */

/** The columns the store indexes; the whole record travels as `record`. */
export interface LoggedDecision {
  decisionId: string;
  customerId: string;
  channel: string;
  /** Epoch ms of the decision. */
  decidedAt: number;
  catalogueVersion: string;
  record: unknown;
}

/** A customer's answer to a decided action, from an offer_response event. */
export interface LinkedResponse {
  eventId: string;
  actionId: string;
  channel: string;
  response: string;
  at: number;
}

export interface DecisionLog {
  append(decision: LoggedDecision): Promise<void>;
  /** The decision and its linked responses, or undefined. */
  get(decisionId: string): Promise<(LoggedDecision & { responses: LinkedResponse[] }) | undefined>;
  /** A customer's decisions, newest first. */
  listCustomer(customerId: string, limit: number): Promise<LoggedDecision[]>;
  /** Links a response; false when the decision is unknown. Idempotent by eventId. */
  linkResponse(decisionId: string, response: LinkedResponse): Promise<boolean>;
  putCatalogue(version: string, catalogue: unknown): Promise<void>;
  getCatalogue(version: string): Promise<unknown>;
  eraseCustomer(customerId: string): Promise<number>;
  count(): Promise<number>;
  close(): Promise<void>;
}
