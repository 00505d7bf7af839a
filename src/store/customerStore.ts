import { createHmac } from 'node:crypto';
import type { Customer } from '../core/customer.js';

/** Customer records, and the tombstones of erased customers. */
export interface CustomerStore {
  upsertMany(customers: readonly Customer[], updatedAt: number): Promise<void>;
  getMany(customerIds: readonly string[]): Promise<(Customer | undefined)[]>;
  /** Up to `limit` records in customerId order (code-unit order), after `afterId` when given: a page by id cursor. */
  list(o: { afterId?: string; limit: number }): Promise<Customer[]>;
  /** Deletes the record and keeps a tombstone (a keyed hash of the id, never the id) so later events for the id are refused. */
  erase(customerId: string, erasedAt: number): Promise<boolean>;
  /** The ids among these that were erased. */
  erasedAmong(customerIds: readonly string[]): Promise<Set<string>>;
  count(): Promise<number>;
  close(): Promise<void>;
}

/** The tombstone of an erased id: HMAC-SHA256 under the data dir's key, so the id itself is not kept. */
export function tombstoneOf(key: Uint8Array, customerId: string): string {
  return createHmac('sha256', key).update(customerId).digest('hex');
}
