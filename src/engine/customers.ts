import { Customer } from '../core/customer.js';
import type { FieldIssue } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import type { CustomerStore } from '../store/customerStore.js';

export type UpsertResult = { index: number; status: 'upserted'; customerId: string } | { index: number; status: 'rejected'; customerId?: string; issues: FieldIssue[] };

/** Validates and upserts customer records; each item stands alone, an erased customer cannot come back. */
export async function upsertCustomers(store: CustomerStore, items: readonly unknown[], now: number): Promise<{ upserted: number; rejected: number; results: UpsertResult[] }> {
  const ids = items.map((i) => (i && typeof i === 'object' ? (i as { customerId?: unknown }).customerId : undefined)).filter((c): c is string => typeof c === 'string');
  const erased = await store.erasedAmong(ids);
  const good: Customer[] = [];
  const results: UpsertResult[] = items.map((raw, index) => {
    const parsed = Customer.safeParse(raw);
    if (!parsed.success) return { index, status: 'rejected', issues: fieldIssues(parsed.error) };
    if (erased.has(parsed.data.customerId)) {
      return { index, status: 'rejected', customerId: parsed.data.customerId, issues: [{ field: 'customerId', rule: 'erased_customer', message: 'this customer was erased and cannot be re-created under the same id' }] };
    }
    good.push(parsed.data);
    return { index, status: 'upserted', customerId: parsed.data.customerId };
  });
  await store.upsertMany(good, now);
  return { upserted: good.length, rejected: items.length - good.length, results };
}
