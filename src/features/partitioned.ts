import type { StoredEvent } from '../core/events.js';
import { GLOBAL_CUSTOMER } from '../core/events.js';
import type { PartitionConsumer } from '../store/bus.js';
import type { ProfileStore } from '../store/profileStore.js';
import type { FeatureSet } from './featureSet.js';
import { MarketTimeline } from './market.js';

/**
 * The online features as a partitioned consumer (with a bus, several instances): the
 * owner of a partition loads its customers' states from the shared store for each batch,
 * applies the events and commits the states with the partition's checkpoint in one store
 * transaction, so whichever instance owns the partition next starts where it was. Nothing
 * is cached between batches: the states belong to whoever owns the partition.
 *
 * A partition whose checkpoint is gone (Redis lost, or a first start) or was made with
 * other definitions is rebuilt: the runner replays the log from the start, and each
 * customer's state restarts empty the first time the replay meets them. The checkpoint
 * keeps the old version until the replay has caught up, so a crash in between starts the
 * rebuild again rather than trusting half of it.
 */
export class PartitionedFeatures implements PartitionConsumer {
  readonly name = 'features';
  /** Partitions being rebuilt: the customers already restarted in this replay. */
  private readonly rebuilding = new Map<number, Set<string>>();
  /** The checkpoint this instance last committed per partition: a different one in the store means the state was lost. */
  private readonly committed = new Map<number, number>();
  private readonly store: ProfileStore & { partitionCheckpoint(partition: number): ReturnType<NonNullable<ProfileStore['partitionCheckpoint']>> };

  constructor(
    readonly features: FeatureSet,
    store: ProfileStore,
  ) {
    if (!store.partitionCheckpoint || !store.forget) throw new Error('a bus needs a shared profile store (PostgreSQL or Redis)');
    this.store = store as PartitionedFeatures['store'];
  }

  async openPartition(partition: number): Promise<number> {
    const cp = await this.store.partitionCheckpoint(partition);
    if (cp && cp.version === this.features.version) {
      this.rebuilding.delete(partition);
      this.committed.set(partition, cp.seq);
      return cp.seq;
    }
    this.rebuilding.set(partition, new Set());
    this.committed.set(partition, cp?.seq ?? -1);
    return 0;
  }

  async applyPartition(partition: number, events: readonly StoredEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (!last) return;
    const cp = await this.store.partitionCheckpoint(partition);
    if ((cp?.seq ?? -1) !== this.committed.get(partition)) {
      throw new Error(`the saved features of partition ${partition} are not where this instance left them (checkpoint ${cp?.seq ?? 'gone'}): the partition is rebuilt from the log`);
    }
    const restarted = this.rebuilding.get(partition);
    const ids = [...new Set(events.map((e) => e.event.customerId).filter((id) => id !== GLOBAL_CUSTOMER))];
    const saved = await this.store.getMany(ids);
    const states = new Map(ids.map((id, i) => {
      const fresh = restarted !== undefined && !restarted.has(id);
      restarted?.add(id);
      return [id, !fresh && saved[i] ? this.features.decode(saved[i]) : this.features.newState()] as const;
    }));
    for (const e of events) {
      const s = states.get(e.event.customerId);
      if (s) this.features.apply(s, e);
    }
    const put = [...states].map(([customerId, s]) => ({ customerId, state: this.features.encode(s) }));
    // The market events are all in the global id's partition: its owner keeps the one market timeline.
    const marketEvents = this.features.market ? events.filter((e) => e.event.customerId === GLOBAL_CUSTOMER) : [];
    if (marketEvents.length > 0) {
      const market = this.features.market!;
      const fresh = restarted !== undefined && !restarted.has(GLOBAL_CUSTOMER);
      restarted?.add(GLOBAL_CUSTOMER);
      const saved = fresh ? undefined : (await this.store.getMany([GLOBAL_CUSTOMER]))[0];
      const timeline = (saved && MarketTimeline.decode(market, saved)) || new MarketTimeline(market);
      for (const e of marketEvents) timeline.add(e);
      put.push({ customerId: GLOBAL_CUSTOMER, state: timeline.encode() });
    }
    // While rebuilding, the checkpoint keeps the definitions it was made with (or none): see the class comment.
    const version = restarted ? (cp?.version ?? 'rebuilding') : this.features.version;
    await this.store.commit({ put, remove: [], checkpoint: { seq: last.seq, version }, partition });
    this.committed.set(partition, last.seq);
  }

  /** The replay reached the log head: the partition's checkpoint now vouches for the current definitions. */
  async caughtUp(partition: number): Promise<void> {
    if (!this.rebuilding.has(partition)) return;
    const seq = this.committed.get(partition) ?? -1;
    await this.store.commit({ put: [], remove: [], checkpoint: { seq: Math.max(0, seq), version: this.features.version }, partition });
    this.committed.set(partition, Math.max(0, seq));
    this.rebuilding.delete(partition);
  }

  async erase(customerId: string): Promise<void> {
    // The state goes, the checkpoints stay: the customer's events are already gone from the log.
    await this.store.forget!([customerId]);
  }
}
