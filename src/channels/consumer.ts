/**
 * The delivery consumer: follows the event log so that nothing is delivered after the
 * customer said no. A consent withdrawal for marketing (or personalised offers) cancels the
 * customer's pending deliveries, on the channel it names or on all of them; an erasure
 * forgets their entries.
 */
import type { StoredEvent } from '../core/events.js';
import type { ConsumerCheckpoints, LogConsumer } from '../store/consumer.js';
import type { Outbox } from '../store/outbox.js';

/** Where the consumer keeps its position: the get and put of the engine's ConsumerCheckpoints. */
export type DeliveryCheckpoints = Pick<ConsumerCheckpoints, 'get' | 'put'>;

/** The purposes whose withdrawal stops offers from going out. */
export const OFFER_PURPOSES: readonly string[] = ['marketing', 'personalised_offers'];

export class DeliveryConsumer implements LogConsumer {
  readonly name = 'deliveries';

  constructor(
    private readonly outbox: Outbox,
    private readonly checkpoints: DeliveryCheckpoints,
    private readonly onCancelled?: (customerId: string, keys: readonly string[]) => void,
  ) {}

  async open(): Promise<number> {
    return (await this.checkpoints.get(this.name)) ?? 0;
  }

  async apply(events: readonly StoredEvent[]): Promise<void> {
    for (const { event, t } of events) {
      if (event.type !== 'consent_change' || event.payload.granted || !OFFER_PURPOSES.includes(event.payload.purpose)) continue;
      const channels = event.payload.channel ? [event.payload.channel] : undefined;
      // Cancelling is idempotent: a replay finds nothing pending left to cancel.
      const keys = await this.outbox.cancel(event.customerId, t, `consent withdrawn (${event.payload.purpose})`, channels);
      if (keys.length > 0) this.onCancelled?.(event.customerId, keys);
    }
    if (events.length > 0) await this.checkpoints.put(this.name, events[events.length - 1]!.seq);
  }

  async erase(customerId: string): Promise<void> {
    await this.outbox.erase(customerId);
  }

  async close(): Promise<void> {}
}
