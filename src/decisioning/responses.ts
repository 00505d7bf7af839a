/**
 * The response linker: a log consumer that links each offer_response event to its
 * decision and starts the cool-down of a declined action. It follows the log after the
 * events are durable, so a crash between the append and this loses nothing: on restart it
 * replays from its checkpoint, and both effects are idempotent per eventId (a response is
 * linked once, a decline recorded once).
 */
import type { StoredEvent } from '../core/events.js';
import type { PartitionConsumer } from '../store/bus.js';
import type { LogConsumer, ConsumerCheckpoints } from '../store/consumer.js';
import type { ContactStore } from '../store/contactStore.js';
import type { DecisionLog } from '../store/decisionLog.js';

export interface ResponseLinkerDeps {
  log: DecisionLog;
  contacts: ContactStore;
  /** The family of an action in the catalogue in force (cool-downs may be per family). */
  familyOf: (actionId: string) => string | undefined;
  /** Where the linker saves its position; without one it starts from the log's beginning (tests). */
  checkpoints?: ConsumerCheckpoints;
  /** Save the position at most this often (ms) or every `checkpointEvents`: a replay is harmless, an fsync per batch is not free. */
  checkpointMs?: number;
  checkpointEvents?: number;
  /** Monotonic time for the checkpoint interval. */
  now?: () => number;
}

/** Links offer responses to decisions and records declines, once per event. */
export class ResponseLinker implements LogConsumer {
  readonly name = 'responses';
  private unsaved: number | undefined;
  private sinceSave = 0;
  private savedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: ResponseLinkerDeps) {}

  async open(): Promise<number> {
    return (await this.deps.checkpoints?.get(this.name)) ?? 0;
  }

  async apply(events: readonly StoredEvent[]): Promise<void> {
    await this.link(events);
    // Saved after the effects (a crash in between replays them, which is harmless), and
    // not after every batch: the checkpoint shares the event log's fsync'd file.
    const last = events[events.length - 1];
    if (!last) return;
    this.unsaved = last.seq;
    this.sinceSave += events.length;
    const now = (this.deps.now ?? (() => performance.now()))();
    if (this.sinceSave >= (this.deps.checkpointEvents ?? 50_000) || now - this.savedAt >= (this.deps.checkpointMs ?? 1000)) await this.save(now);
  }

  /**
   * The linker split by customer partition (with a bus): each partition's position is its
   * own checkpoint (`responses@p<N>`), since another instance may take the partition over
   * at any time.
   */
  partitioned(checkpoints: ConsumerCheckpoints): PartitionConsumer {
    // Saved when a batch had effects, else at most once a second per partition: a takeover
    // replays from an older position, which is harmless (links and declines are once per event).
    const savedAt = new Map<number, number>();
    const now = this.deps.now ?? (() => performance.now());
    return {
      name: this.name,
      openPartition: async (p) => (await checkpoints.get(`${this.name}@p${p}`)) ?? 0,
      applyPartition: async (p, events) => {
        await this.link(events);
        const last = events[events.length - 1];
        const effects = events.some((e) => e.event.type === 'offer_response');
        if (!last || (!effects && now() - (savedAt.get(p) ?? Number.NEGATIVE_INFINITY) < (this.deps.checkpointMs ?? 1000))) return;
        await checkpoints.put(`${this.name}@p${p}`, last.seq);
        savedAt.set(p, now());
      },
      erase: (customerId) => this.erase(customerId),
    };
  }

  /** The effects of a batch: links and declines, each once per event. */
  private async link(events: readonly StoredEvent[]): Promise<void> {
    for (const s of events) {
      const e = s.event;
      if (e.type !== 'offer_response') continue;
      await this.deps.log.linkResponse(e.payload.decisionId, { eventId: e.eventId, actionId: e.payload.actionId, channel: e.payload.channel, response: e.payload.response, at: s.t });
      if (e.payload.response === 'declined') {
        const family = this.deps.familyOf(e.payload.actionId) ?? 'unknown';
        await this.deps.contacts.recordDecline(e.customerId, { actionId: e.payload.actionId, family, at: s.t, eventId: e.eventId });
      }
    }
  }

  private async save(now: number): Promise<void> {
    if (this.unsaved === undefined) return;
    await this.deps.checkpoints?.put(this.name, this.unsaved);
    this.unsaved = undefined;
    this.sinceSave = 0;
    this.savedAt = now;
  }

  /** GDPR erasure: the customer's decisions, contacts and declines. */
  async erase(customerId: string): Promise<void> {
    await this.deps.log.eraseCustomer(customerId);
    await this.deps.contacts.eraseCustomer(customerId);
  }

  /** Saves the position reached. */
  async close(): Promise<void> {
    await this.save((this.deps.now ?? (() => performance.now()))());
  }
}
