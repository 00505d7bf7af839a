/**
 * Channels: the room for delivery, one adapter per channel per file (webhook, SMTP, NATS,
 * pull channels), the outbox and journeys; these come with the delivery issue. What is here
 * now is the registry the adapters will be keyed by: every channel of core/channels.ts with
 * what the bank knows about it (push or pull, whether it may carry marketing).
 */
import { CHANNELS, channelDefinition, type Channel, type ChannelDefinition } from '../core/channels.js';

export { CHANNELS, channelDefinition, type Channel, type ChannelDefinition };

/** The channels the bank starts a contact on (it sends; a delivery adapter is needed). */
export const PUSH_CHANNELS: readonly Channel[] = CHANNELS.filter((c) => c.kind === 'push').map((c) => c.name);

/** The channels that show an action when the customer comes (the app, the branch): the caller asks for a decision. */
export const PULL_CHANNELS: readonly Channel[] = CHANNELS.filter((c) => c.kind === 'pull').map((c) => c.name);

/** The channels that may carry marketing, with the customer's consent; the others carry service messages only. */
export const MARKETING_CHANNELS: readonly Channel[] = CHANNELS.filter((c) => c.marketing).map((c) => c.name);

export { receiptOf, receiptEvent, DeliveryReceipt, type AttemptResult, type PushAdapter } from './adapter.js';
export { backoffMs, CircuitBreaker, DEFAULT_BACKOFF, DEFAULT_BREAKER, type BackoffPolicy, type BreakerPolicy, type BreakerState } from './retryPolicy.js';
export { Dispatcher, type DispatcherDeps, type PassReport } from './dispatcher.js';
export { WebhookAdapter, keepAliveTransport, webhookSignature, verifyWebhook, webhookBody, SIGNATURE_HEADER, TIMESTAMP_HEADER, IDEMPOTENCY_HEADER, type WebhookOptions, type WebhookTransport } from './webhook.js';
export { PullChannels, DEFAULT_PULL_DELIVERY, type PullChannelsDeps, type PullScope } from './pull.js';
export { deliveriesFor, type DecidedForDelivery } from './deliveries.js';
export { DeliveryConsumer, OFFER_PURPOSES, UNDELIVERED, type DeliveryCheckpoints, type ReleaseContact } from './consumer.js';
export { DeliveryMetrics, LatencyWindow } from './metrics.js';
export { SmtpAdapter, recipientOf, type SmtpOptions } from './smtp.js';
