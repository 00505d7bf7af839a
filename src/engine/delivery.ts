/**
 * Delivery wired onto the backend: the outbox (the backend's, written in the contact's
 * transaction; in memory with a warning where the backend has none yet), what a decision to
 * be delivered writes to it, the delivery consumer (consent withdrawals cancel, failed
 * receipts release the contact), the pull channels, and the dispatcher over the configured
 * push adapters, whose receipts come back into the log as `delivery_receipt` events.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { DeliveryConsumer, DeliveryMetrics, Dispatcher, PullChannels, SmtpAdapter, deliveriesFor, receiptEvent, WebhookAdapter, type DeliveryReceipt, type PushAdapter } from '../channels/index.js';

import { NatsAdapter } from '../channels/nats.js';
import type { DecisionDelivery } from '../decisioning/index.js';
import type { Backend } from '../store/backend.js';
import { MemoryOutbox } from '../store/memory/outbox.js';
import type { Outbox } from '../store/outbox.js';

export interface DeliveryParts {
  readonly outbox: Outbox;
  readonly consumer: DeliveryConsumer;
  readonly pull: PullChannels;
  readonly metrics: DeliveryMetrics;
  /** What decisioning writes for a decision asked to `deliver`. */
  readonly decisions: DecisionDelivery;
  /** The push adapters configured (webhooks, SMTP), by channel. */
  readonly adapters: readonly PushAdapter[];
  /** Set once the dispatcher runs (startDispatcher). */
  dispatcher: Dispatcher | undefined;
}

/** Where receipts go: the engine appends them to the log. */
export type ReceiptSink = (receipt: DeliveryReceipt) => Promise<void>;

/** The outbox, decision delivery, consumer and pull channels; the dispatcher starts later (it needs the engine's ingest). */
export function wireDelivery(config: Config, backend: Backend, clock: Clock, logger: Logger, receipts: { sink?: ReceiptSink }): DeliveryParts {
  let outbox = backend.outbox;
  if (!outbox) {
    logger.warn({ event: 'outbox_in_memory', store: backend.kind }, 'this store has no outbox yet: deliveries are kept in memory and a restart loses the undelivered ones');
    outbox = new MemoryOutbox();
  }
  const metrics = new DeliveryMetrics();
  const ttlMs = config.delivery.ttlHours * 3_600_000;
  const sink: ReceiptSink = async (r) => {
    if (!receipts.sink) throw new Error('the engine is not ready to record receipts');
    await receipts.sink(r);
  };
  const parts: DeliveryParts = {
    outbox,
    metrics,
    consumer: new DeliveryConsumer(
      outbox,
      backend.checkpoints,
      (_customerId, keys) => {
        metrics.deliveries.cancelled += keys.length;
      },
      backend.contacts.release ? (customerId, c) => backend.contacts.release!(customerId, c) : undefined,
    ),
    pull: new PullChannels({ outbox, clock: () => clock.now(), channels: config.delivery.pullChannels, onReceipt: sink }),
    decisions: {
      outbox,
      entries: (d) => deliveriesFor(d, { ttlMs }),
      written: (keys) => {
        metrics.deliveries.enqueued += keys.length;
        parts.dispatcher?.wake();
      },
    },
    adapters: pushAdapters(config, clock),
    dispatcher: undefined,
  };
  if (!backend.contacts.release) logger.warn({ event: 'contacts_not_released', store: backend.kind }, 'this contact store cannot release a contact: a failed delivery keeps counting against the caps');
  return parts;
}

/** The push adapters the config declares (webhooks first, then SMTP, then NATS, one per channel); a channel in `pullChannels` is never also pushed. */
function pushAdapters(config: Config, clock: Clock): PushAdapter[] {
  const now = () => clock.now();
  const out: PushAdapter[] = config.delivery.webhooks.map((w) => {
    const secret = w.secret ?? process.env[w.secretEnv!];
    if (!secret) throw new Error(`delivery.webhooks (${w.channel}): the environment variable ${w.secretEnv} is not set`);
    return new WebhookAdapter({ channel: w.channel, url: w.url, secret, timeoutMs: w.timeoutMs, clock: now });
  });
  const smtp = config.delivery.smtp;
  if (smtp && !config.delivery.webhooks.some((w) => w.channel === 'email')) {
    const pass = smtp.passEnv ? process.env[smtp.passEnv] : undefined;
    out.push(new SmtpAdapter({ host: smtp.host, port: smtp.port, secure: smtp.secure, from: smtp.from, recipientDomain: smtp.recipientDomain, timeoutMs: smtp.timeoutMs, ...(smtp.user && pass ? { auth: { user: smtp.user, pass } } : {}) }));
  }
  for (const n of config.delivery.nats) if (!out.some((a) => a.channel === n.channel)) out.push(new NatsAdapter({ channel: n.channel, servers: n.servers, subject: n.subject, timeoutMs: n.timeoutMs }));
  return out.filter((a) => !config.delivery.pullChannels.includes(a.channel as never));
}

/** Starts the dispatcher over the push adapters (none configured: nothing to start). */
export function startDispatcher(parts: DeliveryParts, config: Config, clock: Clock, logger: Logger, sink: ReceiptSink): void {
  if (!config.delivery.dispatch || parts.adapters.length === 0) return;
  const d = config.delivery;
  parts.dispatcher = new Dispatcher({
    outbox: parts.outbox,
    adapters: parts.adapters,
    clock: () => clock.now(),
    random: Math.random,
    id: `dispatcher-${randomUUID()}`,
    backoff: d.backoff,
    breaker: { failures: d.breaker.failures, openMs: d.breaker.openSeconds * 1000 },
    leaseMs: d.leaseSeconds * 1000,
    onReceipt: sink,
    onError: (e) => logger.warn({ event: 'dispatch_failed' }, e instanceof Error ? e.message : String(e)),
  });
  parts.dispatcher.start(d.pollMs);
}

/** The engine's receipt sink: metrics, then the receipt appended to the log as an event. */
export function receiptSink(metrics: DeliveryMetrics, ingest: (items: unknown[]) => Promise<{ rejected: number; results: readonly { status: string; issues?: readonly { message: string }[] }[] }>, logger: Logger): ReceiptSink {
  return async (r) => {
    const report = await ingest([receiptEvent(r)]);
    const result = report.results[0];
    if (result?.status === 'rejected') {
      // An erased customer's receipt is refused by their tombstone: nothing to keep about them.
      logger.warn({ event: 'receipt_refused', channel: r.channel, status: r.status }, result.issues?.map((i) => i.message).join('; ') ?? 'refused');
      return;
    }
    if (result?.status === 'duplicate') return;
    if (r.status === 'delivered') {
      metrics.deliveries.delivered++;
      if (r.createdAt !== undefined) metrics.decisionToDelivery.add(r.at - r.createdAt);
    } else metrics.deliveries.failed++;
  };
}
