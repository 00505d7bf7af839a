/**
 * The NATS JetStream adapter, for channel systems on a bus: each entry is published as JSON
 * (the webhook's body) to `subject`, with the idempotency key as `Nats-Msg-Id`, so JetStream
 * drops a repeat within its duplicate window and the consumer sees each key once. Delivered
 * means JetStream stored it (a PubAck). The stream belongs to the channel system: this adapter
 * does not create it; no stream on the subject is a refusal for good.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { OutboxEntry } from '../store/outbox.js';
import type { AttemptResult, PushAdapter } from './adapter.js';
import { webhookBody } from './webhook.js';

export interface NatsChannelOptions {
  readonly channel: string;
  readonly servers: string;
  /** The subject to publish to (a stream of the channel system must bind it). */
  readonly subject: string;
  /** Per publish (ms). */
  readonly timeoutMs?: number;
}

/** A channel delivered by JetStream publish. */
export class NatsAdapter implements PushAdapter {
  readonly channel: string;
  private connection: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;

  constructor(private readonly o: NatsChannelOptions) {
    this.channel = o.channel;
  }

  private connected() {
    // The client is loaded on first use: an engine without a NATS channel never loads it.
    this.connection ??= (async () => {
      const [{ connect }, { jetstream }] = await Promise.all([import('@nats-io/transport-node'), import('@nats-io/jetstream')]);
      const nc = await connect({ servers: this.o.servers, reconnect: true, maxReconnectAttempts: -1 });
      return { nc, js: jetstream(nc, { timeout: this.o.timeoutMs ?? 5_000 }) };
    })();
    // A failed connect is retried on the next send, not cached.
    this.connection.catch(() => (this.connection = undefined));
    return this.connection;
  }

  async send(entry: OutboxEntry): Promise<AttemptResult> {
    try {
      const { js } = await this.connected();
      await js.publish(this.o.subject, webhookBody(entry), { msgID: entry.key });
      return { ok: true };
    } catch (e) {
      const err = e as Error & { code?: string };
      const message = `${err.name}: ${err.message}`;
      // No stream binds the subject: retrying will not help until the channel system creates one.
      if (/no responders|503/i.test(message) && /stream/i.test(message)) return { ok: false, retryable: false, error: message };
      return { ok: false, retryable: true, error: message };
    }
  }

  async close(): Promise<void> {
    const c = await this.connection?.catch(() => undefined);
    this.connection = undefined;
    await c?.nc.close();
  }
}
