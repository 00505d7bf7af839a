/**
 * What a push adapter is (one per channel per file: webhook.ts, and SMTP and NATS to come)
 * and what delivery reports back. A receipt is the fact the rest of the engine learns
 * from: a contact counts against caps when delivered, and a failed one releases it.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { OutboxEntry } from '../store/outbox.js';

/** The outcome of one attempt: delivered, or failed and whether trying again could help. */
export type AttemptResult = { readonly ok: true } | { readonly ok: false; readonly retryable: boolean; readonly error: string };

/** Sends one outbox entry on its channel. It must not throw for an expected failure (a refusal, a timeout): it returns it. */
export interface PushAdapter {
  /** The channel it serves (a name of core/channels.ts). */
  readonly channel: string;
  send(entry: OutboxEntry, signal: AbortSignal): Promise<AttemptResult>;
}

/** A delivery receipt: what happened to one outbox entry, to be appended to the log as an event. */
export const DeliveryReceipt = z
  .object({
    key: z.string(),
    decisionId: z.string(),
    actionId: z.string(),
    customerId: z.string(),
    channel: z.string(),
    status: z.enum(['delivered', 'failed']),
    attempts: z.number().int().min(1),
    /** Epoch ms. */
    at: z.number(),
    /** When the entry was written (the decision's time), epoch ms. */
    createdAt: z.number().optional(),
    error: z.string().optional(),
  })
  .strict();
export type DeliveryReceipt = z.infer<typeof DeliveryReceipt>;

/** The receipt of an entry. */
export function receiptOf(entry: OutboxEntry, status: DeliveryReceipt['status'], at: number, error?: string): DeliveryReceipt {
  const r: DeliveryReceipt = { key: entry.key, decisionId: entry.decisionId, actionId: entry.actionId, customerId: entry.customerId, channel: entry.channel, status, attempts: entry.attempts, at, createdAt: entry.createdAt };
  if (error !== undefined) r.error = error;
  return r;
}

/**
 * A receipt as the event the log keeps (`delivery_receipt`). Its id is derived from the
 * entry's key and the status, so a receipt repeated after a crash is a duplicate the log drops.
 */
export function receiptEvent(r: DeliveryReceipt) {
  const payload: { deliveryKey: string; decisionId: string; actionId: string; channel: string; status: DeliveryReceipt['status']; attempts: number; error?: string } = {
    deliveryKey: r.key,
    decisionId: r.decisionId,
    actionId: r.actionId,
    channel: r.channel,
    status: r.status,
    attempts: r.attempts,
  };
  if (r.error !== undefined) payload.error = r.error.slice(0, 300);
  return {
    eventId: `receipt-${createHash('sha256').update(r.key).digest('hex').slice(0, 40)}-${r.status}`,
    customerId: r.customerId,
    occurredAt: new Date(r.at).toISOString(),
    schemaVersion: 1 as const,
    type: 'delivery_receipt' as const,
    payload,
  };
}
