import { GLOBAL_CUSTOMER } from '../../core/events.js';
import type { TrainContext } from '../context.js';

/** Customers with any event before `asOf`, in first-seen order (the base the customer-level families learn from). */
export async function customersSeen(ctx: Pick<TrainContext, 'log'>, asOf: number): Promise<string[]> {
  const seen = new Set<string>();
  for await (const page of ctx.log.scan({ toT: asOf + 1, batchSize: 20_000 })) for (const e of page) if (e.event.customerId !== GLOBAL_CUSTOMER) seen.add(e.event.customerId);
  return [...seen];
}
