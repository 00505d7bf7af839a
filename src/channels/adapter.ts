/**
 * What a push adapter is (one per channel per file: webhook.ts, and SMTP and NATS to come)
 * and what delivery reports back. A receipt is the fact the rest of the engine learns
 * from: a contact counts against caps when delivered, and a failed one releases it.
 */
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
    error: z.string().optional(),
  })
  .strict();
export type DeliveryReceipt = z.infer<typeof DeliveryReceipt>;

/** The receipt of an entry. */
export function receiptOf(entry: OutboxEntry, status: DeliveryReceipt['status'], at: number, error?: string): DeliveryReceipt {
  const r: DeliveryReceipt = { key: entry.key, decisionId: entry.decisionId, actionId: entry.actionId, customerId: entry.customerId, channel: entry.channel, status, attempts: entry.attempts, at };
  if (error !== undefined) r.error = error;
  return r;
}
