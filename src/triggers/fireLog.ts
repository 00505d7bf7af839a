/**
 * What the trigger consumer remembers: each fire by its id (so an event replayed after a
 * crash fires nothing twice), and per customer the readings it last saw (the "before" of the
 * next threshold check) and when it last saw each event type an absence trigger watches.
 */
import type { Channel } from '../core/channels.js';
import type { EventType } from '../core/events.js';
import type { EarlierFire, Readings, TriggerFire } from './evaluate.js';

/** How a fire ended: a decision on a channel, nothing chosen on any channel, or still being decided. */
export type FireOutcome =
  | { readonly status: 'pending' }
  | { readonly status: 'decided'; readonly decisionId: string; readonly channel: Channel; readonly actionIds: readonly string[] }
  | { readonly status: 'nothing_chosen'; readonly decisionIds: readonly string[] };

/** One recorded fire. */
export interface FireRecord {
  readonly fire: TriggerFire;
  readonly outcome: FireOutcome;
}

/** A batch's readings and last-seen times, written at once (per customer; seen per event type). */
export interface RememberedBatch {
  readonly readings: ReadonlyMap<string, Readings>;
  readonly seen: ReadonlyMap<string, Readonly<Partial<Record<EventType, number>>>>;
}

/** The trigger consumer's store. */
export interface FireLog {
  /** Records a fire as pending; false when its id is already recorded (the fire is not new). */
  claim(fire: TriggerFire): Promise<boolean>;
  /** Sets a recorded fire's outcome. */
  settle(fireId: string, outcome: FireOutcome): Promise<void>;
  get(fireId: string): Promise<FireRecord | undefined>;
  /** A customer's fires, oldest first (the once-per-period guard reads them). */
  forCustomer(customerId: string): Promise<FireRecord[]>;
  /** Each of these customers' fires, oldest first, in one read for a batch (a customer with none: an empty list). */
  forCustomers(customerIds: readonly string[]): Promise<Map<string, FireRecord[]>>;
  /** Fires still pending (a crash came between claim and settle): decided again with the same id. */
  pending(): Promise<FireRecord[]>;
  /** The newest fires across customers, newest first. */
  recent(limit: number): Promise<FireRecord[]>;
  lastReadings(customerId: string): Promise<Readings | undefined>;
  /** The remembered readings of these customers (those with none are absent): one read for a batch. */
  lastReadingsMany(customerIds: readonly string[]): Promise<Map<string, Readings>>;
  saveReadings(customerId: string, readings: Readings): Promise<void>;
  lastSeen(customerId: string): Promise<Partial<Record<EventType, number>>>;
  saveSeen(customerId: string, type: EventType, at: number): Promise<void>;
  /** A batch's readings (replacing each customer's) and seen times (a later time wins), in one write. */
  saveMany(batch: RememberedBatch): Promise<void>;
  /** Customers with any watched event seen (the clock's absence sweep walks them). */
  watchedCustomers(): Promise<string[]>;
  checkpoint(): Promise<number>;
  saveCheckpoint(seq: number): Promise<void>;
  erase(customerId: string): Promise<void>;
}

/**
 * A batch read made of single reads, for the in-process stores (a cached statement per
 * customer costs what one IN (...) would): each id's answer, those answering undefined left out.
 */
export async function readEach<T>(ids: readonly string[], read: (id: string) => Promise<T | undefined>): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (const id of ids) {
    const v = await read(id);
    if (v !== undefined) out.set(id, v);
  }
  return out;
}

/** Earlier fires as the evaluator reads them. */
export function earlierFires(records: readonly FireRecord[]): EarlierFire[] {
  return records.map((r) => ({ triggerId: r.fire.triggerId, at: r.fire.at }));
}

/** The fire log in memory (tests, and the engine with no data dir). */
export class MemoryFireLog implements FireLog {
  private readonly fires = new Map<string, FireRecord>();
  private readonly readings = new Map<string, Readings>();
  private readonly seen = new Map<string, Partial<Record<EventType, number>>>();
  private seq = 0;

  async claim(fire: TriggerFire): Promise<boolean> {
    if (this.fires.has(fire.fireId)) return false;
    this.fires.set(fire.fireId, { fire, outcome: { status: 'pending' } });
    return true;
  }
  async settle(fireId: string, outcome: FireOutcome): Promise<void> {
    const r = this.fires.get(fireId);
    if (r) this.fires.set(fireId, { fire: r.fire, outcome });
  }
  async get(fireId: string): Promise<FireRecord | undefined> {
    return this.fires.get(fireId);
  }
  async forCustomer(customerId: string): Promise<FireRecord[]> {
    return [...this.fires.values()].filter((r) => r.fire.customerId === customerId).sort((a, b) => a.fire.at - b.fire.at);
  }
  async forCustomers(customerIds: readonly string[]): Promise<Map<string, FireRecord[]>> {
    return readEach(customerIds, (id) => this.forCustomer(id));
  }
  async pending(): Promise<FireRecord[]> {
    return [...this.fires.values()].filter((r) => r.outcome.status === 'pending');
  }
  async recent(limit: number): Promise<FireRecord[]> {
    return [...this.fires.values()].sort((a, b) => b.fire.at - a.fire.at).slice(0, limit);
  }
  async lastReadings(customerId: string): Promise<Readings | undefined> {
    return this.readings.get(customerId);
  }
  async lastReadingsMany(customerIds: readonly string[]): Promise<Map<string, Readings>> {
    return readEach(customerIds, (id) => this.lastReadings(id));
  }
  async saveReadings(customerId: string, readings: Readings): Promise<void> {
    this.readings.set(customerId, readings);
  }
  async lastSeen(customerId: string): Promise<Partial<Record<EventType, number>>> {
    return { ...this.seen.get(customerId) };
  }
  async saveSeen(customerId: string, type: EventType, at: number): Promise<void> {
    const s = this.seen.get(customerId) ?? {};
    if ((s[type] ?? -Infinity) < at) s[type] = at;
    this.seen.set(customerId, s);
  }
  async saveMany(batch: RememberedBatch): Promise<void> {
    for (const [id, r] of batch.readings) this.readings.set(id, r);
    for (const [id, types] of batch.seen) for (const [type, at] of Object.entries(types) as [EventType, number][]) await this.saveSeen(id, type, at);
  }
  async watchedCustomers(): Promise<string[]> {
    return [...this.seen.keys()];
  }
  async checkpoint(): Promise<number> {
    return this.seq;
  }
  async saveCheckpoint(seq: number): Promise<void> {
    this.seq = Math.max(this.seq, seq);
  }
  async erase(customerId: string): Promise<void> {
    for (const [id, r] of this.fires) if (r.fire.customerId === customerId) this.fires.delete(id);
    this.readings.delete(customerId);
    this.seen.delete(customerId);
  }
}
