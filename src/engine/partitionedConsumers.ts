/**
 * The trigger, journey and delivery consumers split by customer partition under a bus
 * (docs/decisions/0016-triggers-journeys-delivery-partitioned.md): each partition's events are
 * applied by the instance that leases it, after the features and responses of the same batch,
 * with a checkpoint per partition (`<name>@p<N>` in the consumers' checkpoint table). Taking a
 * partition over replays it from that checkpoint, so a dead instance's customers move with it.
 */
import type { StoredEvent } from '../core/events.js';
import type { PartitionConsumer } from '../store/bus.js';
import { partitionOf } from '../store/bus.js';
import type { ConsumerCheckpoints } from '../store/consumer.js';

/** A consumer whose effects can be applied without its own (whole-log) checkpoint. */
export interface SplittableConsumer {
  readonly name: string;
  applyEvents(events: readonly StoredEvent[]): Promise<void>;
  erase(customerId: string): Promise<void>;
}

/**
 * The partitioned form of a consumer. `initial`: where a partition starts when it has no
 * checkpoint of its own (the consumer's whole-log checkpoint from a run without a bus: those
 * events were applied already). `opened`: work owed to the partition's customers when it is
 * taken (the trigger fires a crash left pending).
 */
export function byPartition(c: SplittableConsumer, checkpoints: ConsumerCheckpoints, partitions: number, o: { initial?: () => Promise<number>; opened?: (mine: (customerId: string) => boolean) => Promise<void> } = {}): PartitionConsumer {
  return {
    name: c.name,
    async openPartition(p) {
      await o.opened?.((customerId) => partitionOf(customerId, partitions) === p);
      return (await checkpoints.get(`${c.name}@p${p}`)) ?? (await o.initial?.()) ?? 0;
    },
    async applyPartition(p, events) {
      if (events.length === 0) return;
      await c.applyEvents(events);
      await checkpoints.put(`${c.name}@p${p}`, events[events.length - 1]!.seq);
    },
    erase: (customerId) => c.erase(customerId),
  };
}

/** Whether a customer is in a partition this instance holds now (the clock's sweeps run only for those). */
export function ownership(held: () => readonly number[], partitions: number): (customerId: string) => boolean {
  return (customerId) => held().includes(partitionOf(customerId, partitions));
}
