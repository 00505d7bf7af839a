/**
 * The delivery consumer: follows the event log so that nothing is delivered after the
 * customer said no. A consent withdrawal for marketing (or personalised offers) cancels the
 * customer's pending deliveries, on the channel it names or on all of them; an erasure
 * forgets their entries. A delivery that failed, bounced or was cancelled releases its
 * contact, so it no longer counts against the caps (it was reserved when decided).
 */
import type { StoredEvent } from '../core/events.js';
import type { ConsumerCheckpoints, LogConsumer } from '../store/consumer.js';
import type { Outbox } from '../store/outbox.js';

/** Where the consumer keeps its position: the get and put of the engine's ConsumerCheckpoints. */
export type DeliveryCheckpoints = Pick<ConsumerCheckpoints, 'get' | 'put'>;

/** Releases the contact of a delivery that never reached the customer (ContactStore.release). */
export type ReleaseContact = (customerId: string, contact: { decisionId: string; actionId: string; channel: string }) => Promise<unknown>;

/** The receipt statuses that mean the customer never got it. */
export const UNDELIVERED: readonly string[] = ['failed', 'bounced'];

/** The purposes whose withdrawal stops offers from going out. */
export const OFFER_PURPOSES: readonly string[] = ['marketing', 'personalised_offers'];

export class DeliveryConsumer implements LogConsumer {
  readonly name = 'deliveries';

  constructor(
    private readonly outbox: Outbox,
    private readonly checkpoints: DeliveryCheckpoints,
    private readonly onCancelled?: (customerId: string, keys: readonly string[]) => void,
    private readonly release?: ReleaseContact,
  ) {}

  async open(): Promise<number> {
    return (await this.checkpoints.get(this.name)) ?? 0;
  }

  async apply(events: readonly StoredEvent[]): Promise<void> {
    await this.applyEvents(events);
    if (events.length > 0) await this.checkpoints.put(this.name, events[events.length - 1]!.seq);
  }

  /** Cancels and releases for these events, with no checkpoint (the caller's: the log's, or a partition's). */
  async applyEvents(events: readonly StoredEvent[]): Promise<void> {
    for (const { event, t } of events) {
      if (event.type === 'delivery_receipt') {
        // Releasing is idempotent: a replayed receipt finds the contact already gone.
        if (UNDELIVERED.includes(event.payload.status)) await this.release?.(event.customerId, event.payload);
        continue;
      }
      if (event.type !== 'consent_change' || event.payload.granted || !OFFER_PURPOSES.includes(event.payload.purpose)) continue;
      const channels = event.payload.channel ? [event.payload.channel] : undefined;
      // Cancelling is idempotent: a replay finds nothing pending left to cancel.
      const keys = await this.outbox.cancel(event.customerId, t, `consent withdrawn (${event.payload.purpose})`, channels);
      for (const key of keys) {
        const e = await this.outbox.get(key);
        if (e) await this.release?.(e.customerId, e);
      }
      if (keys.length > 0) this.onCancelled?.(event.customerId, keys);
    }
  }

  async erase(customerId: string): Promise<void> {
    await this.outbox.erase(customerId);
  }

  async close(): Promise<void> {}
}
