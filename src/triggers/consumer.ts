/**
 * The trigger consumer: follows the event log after the features consumer, evaluates the
 * triggers on each event, and asks decisioning for a decision on the first channel (the
 * customer's preferred one, then the trigger's fallbacks) that gives one. Fires are recorded
 * by id before deciding, so an event replayed after a crash fires nothing twice; a fire left
 * pending by a crash is decided again with the same request id (the decide function dedupes
 * by it).
 *
 * Threshold triggers compare the readings this consumer last saw for the customer with the
 * readings now. The features consumer may have applied several of the customer's events in
 * one batch; the crossing is then checked once, at the customer's last event of the batch,
 * which still sees every crossing that persists to the end of the batch. The features
 * consumer may also be ahead of the batch (it runs on its own); the readings are then those
 * of a later event of the customer, and a crossing is seen at the event before it.
 *
 * The readings are only the keys the triggers in force read (readingKeys.ts): a threshold on
 * one feature does not compute and save the ~60 others and every score. The customer and
 * their earlier fires are read only when some trigger's pattern matches the event.
 */
import type { Channel } from '../core/channels.js';
import { GLOBAL_CUSTOMER, type EventType, type StoredEvent } from '../core/events.js';
import type { LogConsumer } from '../store/consumer.js';
import { anyEventPatternMatches, anyPatternMatches, evaluateAbsences, evaluateTriggers, type CompiledTrigger, type CustomerFacts, type Readings, type TriggerFire } from './evaluate.js';
import { keptReadings, readingKeys, rememberedBefore, type ReadingKeys } from './readingKeys.js';
import { earlierFires, readEach, type FireLog, type FireOutcome } from './fireLog.js';

/** What a trigger asks decisioning for: one customer, one channel, among the trigger's actions or families. */
export interface TriggerDecisionRequest {
  readonly customerId: string;
  readonly channel: Channel;
  readonly consider: { readonly actions: readonly string[]; readonly families: readonly string[] };
  /** The fire's id and channel: the same request after a crash carries the same id. */
  readonly requestId: string;
  readonly context: { readonly trigger: string; readonly trigger_event: string };
}

/** What comes back: the decision's id and the actions chosen (none when nothing passed the policies). */
export interface TriggerDecision {
  readonly decisionId: string;
  readonly chosen: readonly { readonly actionId: string }[];
}

export interface TriggerConsumerDeps {
  readonly fires: FireLog;
  /** The triggers in force (re-read on every batch, so an edit applies from the next event). */
  readonly triggers: () => readonly CompiledTrigger[];
  /**
   * The customer's profile and scores now (after the features consumer applied their events),
   * limited to `keys`: the features and scores the triggers in force read (readingKeys.ts).
   */
  readonly readings: (customerId: string, keys: ReadingKeys) => Promise<Readings>;
  readonly customer: (customerId: string) => Promise<CustomerFacts>;
  /** The facts of many customers in one read (every id answered; one with no record as `customer` answers it). Without it, `customer` per customer. */
  readonly customers?: (customerIds: readonly string[]) => Promise<Map<string, CustomerFacts>>;
  readonly decide: (request: TriggerDecisionRequest) => Promise<TriggerDecision>;
  /**
   * Resolves once the features consumer has applied this batch (the engine: the runner's
   * `forHead(['features'], timeoutMs)`); a rejection fails the batch and the runner retries it.
   * Consumers run independently, so without it a trigger could read the profile before its event.
   */
  readonly afterFeatures?: (lastSeq: number) => Promise<void>;
  /**
   * Events before this time (epoch ms; the engine: the clock less triggers.maxEventAgeMinutes)
   * still move the consumer's state (readings, last-seen) but fire nothing: a backfill of last
   * year's deposits is history, not a moment to act on.
   */
  readonly firesFrom?: () => number;
  /** At most this many fires are decided per event (highest priority first), so one moment sends one message. */
  readonly maxFiresPerEvent?: number;
  /**
   * Awaited before a fire is settled (journeys start here): a crash before the settle leaves
   * the fire pending, and it is decided again with the same ids, so the hook must be idempotent.
   */
  readonly beforeSettle?: (fire: TriggerFire, outcome: FireOutcome) => Promise<void>;
  /** Told of every fire once it is settled (metrics, the demo's latency print), with its event's arrival time when known (epoch ms). */
  readonly onFire?: (fire: TriggerFire, outcome: FireOutcome, recordedAt?: number) => void;
}

/** A batch being applied: the customers erased meanwhile, and its write of readings and seen times once begun. */
interface BatchRun {
  readonly erased: Set<string>;
  write?: Promise<unknown>;
}

/** The trigger engine as a log consumer. */
export class TriggerConsumer implements LogConsumer {
  readonly name = 'triggers';

  /** When each event of the batch being applied arrived (for the latency metric). */
  private arrivals = new Map<string, number>();
  /** The batches being applied (partitions apply theirs at once under a bus): who was erased meanwhile, and their write once begun (see remember). */
  private readonly inFlight = new Set<BatchRun>();

  constructor(private readonly deps: TriggerConsumerDeps) {}

  async open(): Promise<number> {
    await this.decidePending();
    return this.deps.fires.checkpoint();
  }

  /** A crash between claim and settle left these undecided: decide them now, with the same ids (only the customers `mine` keeps, when given). */
  async decidePending(mine?: (customerId: string) => boolean): Promise<void> {
    for (const r of await this.deps.fires.pending()) if (!mine || mine(r.fire.customerId)) await this.decideFire(r.fire);
  }

  async apply(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.deps.afterFeatures?.(events[events.length - 1]!.seq);
    await this.applyEvents(events);
    await this.deps.fires.saveCheckpoint(events[events.length - 1]!.seq);
  }

  /**
   * Evaluates the triggers on these events and decides their fires, with no checkpoint (the
   * caller keeps it: the whole log's in apply, a partition's under a bus). The profile must
   * already reflect the events (apply waits for the features consumer; a partition applies
   * features first in the same batch).
   */
  async applyEvents(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const run: BatchRun = { erased: new Set() };
    this.inFlight.add(run);
    try {
      await this.applyRun(events, run);
    } finally {
      this.inFlight.delete(run);
    }
  }

  /** One batch's evaluation: the remembered readings read at once before it, its readings and seen times written at once after it. */
  private async applyRun(events: readonly StoredEvent[], run: BatchRun): Promise<void> {
    const triggers = this.deps.triggers();
    const keys = readingKeys(triggers);
    this.arrivals = new Map(events.map((e) => [e.event.eventId, e.recordedAt]));
    const watched = new Set<EventType>(triggers.flatMap((t) => (t.trigger.kind === 'absence' && t.trigger.enabled ? t.trigger.events : [])));
    const lastOfCustomer = new Map<string, number>();
    events.forEach((e, i) => lastOfCustomer.set(e.event.customerId, i));
    const readingsNow = new Map<string, Readings>();
    const enabled = triggers.filter((t) => t.trigger.enabled);
    // Thresholds can fire on any event (at the customer's last of the batch); patterns only on their event types.
    const thresholds = enabled.some((t) => t.trigger.kind === 'threshold');
    const from = this.deps.firesFrom?.() ?? Number.NEGATIVE_INFINITY;
    // An event no event or life-event pattern matches fires nothing before the customer's last event (before is after there).
    const mayFire = events.map((stored, i) => stored.t >= from && ((lastOfCustomer.get(stored.event.customerId) === i && thresholds) || anyEventPatternMatches(enabled, stored.event)));
    // The "before" of every customer whose last event may fire, in one read (not one per customer).
    const remembered = await this.deps.fires.lastReadingsMany([...lastOfCustomer].filter(([id, i]) => id !== GLOBAL_CUSTOMER && mayFire[i]).map(([id]) => id));
    // What the batch leaves behind, written at once after it (before the caller's checkpoint: a crash replays the batch from the readings before it).
    const batch = { readings: new Map<string, Readings>(), seen: new Map<string, Partial<Record<EventType, number>>>() };
    const matched: { stored: StoredEvent; before: Readings; after: Readings }[] = [];
    const readingsOf = async (customerId: string) => {
      let r = readingsNow.get(customerId);
      if (!r) readingsNow.set(customerId, (r = await this.deps.readings(customerId, keys)));
      return r;
    };
    for (const [i, stored] of events.entries()) {
      const customerId = stored.event.customerId;
      if (customerId === GLOBAL_CUSTOMER) continue;
      if (watched.has(stored.event.type)) {
        let seen = batch.seen.get(customerId);
        if (!seen) batch.seen.set(customerId, (seen = {}));
        seen[stored.event.type] = Math.max(seen[stored.event.type] ?? stored.t, stored.t);
      }
      const last = lastOfCustomer.get(customerId) === i;
      if (!mayFire[i]) {
        // Nothing can fire, but a threshold's next "before" is what the customer looks like now.
        if (last && thresholds) batch.readings.set(customerId, keptReadings(await readingsOf(customerId), keys));
        continue;
      }
      const after = await readingsOf(customerId);
      // Before the customer's last event of the batch, "before" is "after": only event patterns can fire.
      let before = after;
      if (last) {
        const r = remembered.get(customerId);
        before = r ? rememberedBefore(r, after, keys) : { profile: {}, scores: {} };
      }
      // The customer and their earlier fires are read only when some trigger's pattern matches (a condition or guard may then hold it back).
      if (anyPatternMatches(enabled, { event: stored.event, before, after })) matched.push({ stored, before, after });
      if (last) batch.readings.set(customerId, keptReadings(after, keys));
    }
    // Fires do not move readings: the matched events are decided after the pass, in log order,
    // with every matched customer's facts read at once (one query on PostgreSQL, not one per event).
    const ids = [...new Set(matched.map((m) => m.stored.event.customerId))];
    const facts = await this.customerFacts(ids);
    // Their earlier fires, read at once too (every id answered); a fire claimed by an earlier
    // event of the batch is added as it is claimed, so it counts against the next one's guards.
    const fired = new Map([...(await this.deps.fires.forCustomers(ids))].map(([id, records]) => [id, earlierFires(records)]));
    for (const { stored, before, after } of matched) {
      const customerId = stored.event.customerId;
      const earlier = fired.get(customerId)!;
      const outcome = evaluateTriggers(triggers, { event: stored.event, at: stored.t, customer: facts.get(customerId)!, before, after, fired: earlier });
      for (const f of await this.fireAll(outcome.fires)) earlier.push({ triggerId: f.triggerId, at: f.at });
    }
    await this.remember(batch, run);
  }

  /** The facts of every one of these customers, in one read when the deps can (each one's own read otherwise). */
  private async customerFacts(ids: readonly string[]): Promise<Map<string, CustomerFacts>> {
    if (ids.length === 0) return new Map();
    return this.deps.customers ? this.deps.customers(ids) : readEach(ids, (id) => this.deps.customer(id));
  }

  /**
   * Writes a batch's readings and seen times, less the customers erased while it ran: an erasure
   * that lands mid-batch (the bus erases beside the partition's owner) must not be undone by
   * the batch's write. An erasure during the write waits for it, then deletes what it wrote.
   */
  private async remember(batch: { readings: Map<string, Readings>; seen: Map<string, Partial<Record<EventType, number>>> }, run: BatchRun): Promise<void> {
    for (const id of run.erased) {
      batch.readings.delete(id);
      batch.seen.delete(id);
    }
    if (batch.readings.size === 0 && batch.seen.size === 0) return;
    const write = this.deps.fires.saveMany(batch);
    run.write = write.catch(() => undefined);
    await write;
  }

  /** The clock's sweep for absence triggers: every watched customer quiet for long enough (of those `mine` keeps: an instance's partitions). Returns the fires decided. */
  async sweep(now: number, mine?: (customerId: string) => boolean): Promise<TriggerFire[]> {
    const triggers = this.deps.triggers();
    if (!triggers.some((t) => t.trigger.kind === 'absence' && t.trigger.enabled)) return [];
    const decided: TriggerFire[] = [];
    for (const customerId of await this.deps.fires.watchedCustomers()) {
      if (mine && !mine(customerId)) continue;
      const outcome = evaluateAbsences(triggers, {
        customerId,
        customer: await this.deps.customer(customerId),
        readings: await this.deps.readings(customerId, readingKeys(triggers)),
        lastSeen: await this.deps.fires.lastSeen(customerId),
        now,
        fired: earlierFires(await this.deps.fires.forCustomer(customerId)),
      });
      decided.push(...(await this.fireAll(outcome.fires)));
    }
    return decided;
  }

  async erase(customerId: string): Promise<void> {
    for (const run of this.inFlight) run.erased.add(customerId);
    await Promise.all([...this.inFlight].map((run) => run.write));
    await this.deps.fires.erase(customerId);
  }

  async close(): Promise<void> {}

  private async fireAll(fires: readonly TriggerFire[]): Promise<TriggerFire[]> {
    const done: TriggerFire[] = [];
    for (const fire of fires.slice(0, this.deps.maxFiresPerEvent ?? 1)) {
      if (!(await this.deps.fires.claim(fire))) continue;
      await this.decideFire(fire);
      done.push(fire);
    }
    return done;
  }

  /** Tries the fire's channels in order until a decision chooses something. */
  private async decideFire(fire: TriggerFire): Promise<void> {
    const decisionIds: string[] = [];
    let outcome: FireOutcome | undefined;
    for (const channel of fire.channels) {
      const d = await this.deps.decide({
        customerId: fire.customerId,
        channel,
        consider: fire.consider,
        requestId: `${fire.fireId}:${channel}`,
        context: { trigger: fire.triggerId, trigger_event: fire.eventId },
      });
      decisionIds.push(d.decisionId);
      if (d.chosen.length > 0) {
        outcome = { status: 'decided', decisionId: d.decisionId, channel, actionIds: d.chosen.map((c) => c.actionId) };
        break;
      }
    }
    outcome ??= { status: 'nothing_chosen', decisionIds };
    await this.deps.beforeSettle?.(fire, outcome);
    await this.deps.fires.settle(fire.fireId, outcome);
    this.deps.onFire?.(fire, outcome, this.arrivals.get(fire.eventId));
  }
}

