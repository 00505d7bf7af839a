import type { FieldIssue } from '../core/errors.js';

/** An item ingestion refused, kept in quarantine so an engineer can see and fix it. */
export interface RejectedItem {
  id: number;
  receivedAt: number;
  /** Where it came from: `http`, `library`, `file:<name>`, `stream`. */
  source: string;
  eventId: string | null;
  customerId: string | null;
  issues: FieldIssue[];
  /** The raw item, truncated to 4 KB. */
  raw: string;
}

export type NewReject = Omit<RejectedItem, 'id'>;

export interface RejectStore {
  addMany(items: readonly NewReject[]): Promise<void>;
  /** Newest first; `beforeId` pages backwards. */
  list(options: { limit: number; beforeId?: number; source?: string }): Promise<RejectedItem[]>;
  count(): Promise<number>;
  /** One customer's quarantined items, newest first (their Art. 15 export). */
  listCustomer(customerId: string, limit: number): Promise<RejectedItem[]>;
  /** Drops items received before `receivedBefore`, then all but the newest `keepNewest`; returns how many went. */
  purge(o: { receivedBefore?: number; keepNewest?: number }): Promise<number>;
  /** Drops the quarantined items of an erased customer. */
  eraseCustomer(customerId: string): Promise<number>;
  close(): Promise<void>;
}
