/**
 * The online store as it was before packed state (commit 36bc2f7, src/features/online.ts): every
 * customer's state held as objects in a Map. Kept only as the reference the packed store is
 * tested against (test/features/packedState.test.ts); the codec (FeatureSet.encode/decode) is shared.
 */
import { ValidationError } from '../../../src/core/errors.js';
import type { StoredEvent } from '../../../src/core/events.js';
import { GLOBAL_CUSTOMER } from '../../../src/core/events.js';
import type { LogConsumer } from '../../../src/store/consumer.js';
import type { EventLog } from '../../../src/store/eventLog.js';
import type { ProfileStore } from '../../../src/store/profileStore.js';
import type { CustomerFeatureState, FeatureSet } from '../../../src/features/featureSet.js';

import type { Profile, ProfileFeature } from '../../../src/features/profileSchema.js';

/** A profile and its features: types derived from the zod schemas in profileSchema.ts. */
export type { Profile, ProfileFeature };

export interface OnlineOptions {
  /** Commit changed customers to the ProfileStore after this many applied events. */
  checkpointEvents?: number;
  /**
   * The memory budget: at most this many customers' states held in memory. Past it, the
   * least recently used are committed and dropped (they are read back from the store when
   * their next event or read comes); reads of a cold customer beyond it are not cached.
   */
  maxCustomersInMemory?: number;
  /**
   * Reads only, straight from the store (with a bus): another instance applies most
   * customers' events, so a state held here would go stale. The store is not a consumer then.
   */
  readThrough?: boolean;
}

/** The default budget: about 1 GB of heap at the ~10 KB a state of a few days costs today (bench/results/state.md). */
const DEFAULT_MAX_CUSTOMERS_IN_MEMORY = 100_000;

import { iso } from '../../../src/core/clock.js';

/**
 * The online feature store: each stored event updates its customer's state in memory
 * (O(1) amortised per stream: a day bucket is found from the newest end), changed
 * customers are committed to the ProfileStore with the log position in batches, and on
 * start the log after the checkpoint is replayed. A log consumer named `features`: its
 * consumer checkpoint is the snapshot checkpoint, committed with the states it describes.
 */
export class LegacyOnlineFeatureStore implements LogConsumer {
  readonly name = 'features';
  private readonly hot = new Map<string, CustomerFeatureState>();
  private readonly dirty = new Set<string>();
  private appliedSeq = 0;
  private sinceCheckpoint = 0;
  private readonly checkpointEvents: number;
  private readonly maxInMemory: number;
  private evictedCount = 0;
  private readonly scratch: Float64Array;
  private readonly readThrough: boolean;

  constructor(
    readonly features: FeatureSet,
    private readonly store: ProfileStore,
    options: OnlineOptions = {},
  ) {
    this.checkpointEvents = options.checkpointEvents ?? 50_000;
    this.maxInMemory = options.maxCustomersInMemory ?? DEFAULT_MAX_CUSTOMERS_IN_MEMORY;
    if (!(this.maxInMemory >= 1)) throw new RangeError('maxCustomersInMemory must be at least 1');
    this.readThrough = options.readThrough ?? false;
    this.scratch = new Float64Array(features.size);
  }

  /** The last log seq applied. */
  get seq(): number {
    return this.appliedSeq;
  }

  /**
   * Loads the checkpoint and replays the log after it. A checkpoint made with other
   * definitions is discarded and the profiles are rebuilt from the whole log.
   */
  async start(log: EventLog, onProgress?: (applied: number) => void): Promise<{ replayed: number; rebuilt: boolean }> {
    await this.open();
    const rebuilt = this.rebuilt;
    let replayed = 0;
    for (;;) {
      const page = await log.readAfter(this.appliedSeq, 10_000);
      if (page.length === 0) break;
      await this.applyEvents(page, false);
      replayed += page.length;
      onProgress?.(replayed);
    }
    if (replayed > 0 || rebuilt) await this.checkpoint();
    return { replayed, rebuilt };
  }

  private rebuilt = false;

  /**
   * Loads the checkpoint (the log consumer's start): a checkpoint made with other
   * definitions is discarded, so the runner replays the whole log.
   */
  async open(): Promise<number> {
    const cp = await this.store.checkpoint();
    this.rebuilt = false;
    if (cp && cp.version !== this.features.version) {
      await this.store.clear();
      this.rebuilt = true;
    }
    this.hot.clear();
    this.dirty.clear();
    this.sinceCheckpoint = 0;
    this.appliedSeq = cp && !this.rebuilt ? cp.seq : 0;
    return this.appliedSeq;
  }

  /** Applies stored events in log order; events at or before the applied seq are skipped. */
  async apply(events: readonly StoredEvent[]): Promise<void> {
    await this.applyEvents(events, true);
  }

  /** Applies stored events in log order (as `apply`; simulations and tests call it directly). */
  async onEvents(events: readonly StoredEvent[]): Promise<void> {
    await this.applyEvents(events, true);
  }

  private async applyEvents(events: readonly StoredEvent[], mayCheckpoint: boolean): Promise<void> {
    const from = this.appliedSeq;
    // Customers not in memory are fetched from the store in one batch first.
    let missing: Set<string> | undefined;
    for (const e of events) {
      const id = e.event.customerId;
      if (e.seq > from && id !== GLOBAL_CUSTOMER && !this.hot.has(id)) (missing ??= new Set()).add(id);
    }
    if (missing) await this.load([...missing]);
    let applied = 0;
    for (const e of events) {
      const id = e.event.customerId;
      // Already applied (replay overlap) or global: skip.
      if (e.seq <= from || id === GLOBAL_CUSTOMER) continue;
      const state = this.hot.get(id)!;
      this.features.apply(state, e);
      // Most recently used last: Map keeps insertion order, so the coldest come first.
      if (!this.dirty.has(id)) {
        this.hot.delete(id);
        this.hot.set(id, state);
      }
      this.dirty.add(id);
      applied++;
    }
    const last = events[events.length - 1];
    if (last && last.seq > this.appliedSeq) this.appliedSeq = last.seq;
    this.sinceCheckpoint += applied;
    if (this.hot.size > this.maxInMemory) await this.evict();
    else if (mayCheckpoint && this.sinceCheckpoint >= this.checkpointEvents) await this.checkpoint();
  }

  /**
   * Keeps memory within the budget: commits what changed (so nothing dropped is lost, and
   * the checkpoint stays exact), then drops the least recently used down to 90% of it.
   * Called only from the consumer's own path, which also owns checkpoints.
   */
  private async evict(): Promise<void> {
    await this.checkpoint();
    const target = Math.floor(this.maxInMemory * 0.9);
    for (const id of this.hot.keys()) {
      if (this.hot.size <= target) break;
      // Changed during the commit's await (a read cannot change a state; kept for safety).
      if (this.dirty.has(id)) continue;
      this.hot.delete(id);
      this.evictedCount++;
    }
  }

  /** Brings these customers into memory from the store (new ones start empty). */
  private async load(ids: string[]): Promise<void> {
    const missing = ids.filter((id) => !this.hot.has(id));
    if (missing.length === 0) return;
    const saved = await this.store.getMany(missing);
    missing.forEach((id, i) => this.hot.set(id, saved[i] ? this.features.decode(saved[i]) : this.features.newState()));
  }

  /**
   * Commits every changed customer and the log position, in one store transaction. The
   * states and the position are taken together before the commit's await; a customer
   * changed while it is in flight stays dirty for the next one.
   */
  async checkpoint(remove: readonly string[] = []): Promise<void> {
    const ids = [...this.dirty];
    const put = ids.map((id) => ({ customerId: id, state: this.features.encode(this.hot.get(id)!) }));
    const checkpoint = { seq: this.appliedSeq, version: this.features.version };
    const since = this.sinceCheckpoint;
    this.dirty.clear();
    this.sinceCheckpoint = 0;
    try {
      await this.store.commit({ put, remove, checkpoint });
    } catch (e) {
      for (const id of ids) if (this.hot.has(id)) this.dirty.add(id);
      this.sinceCheckpoint += since;
      throw e;
    }
  }

  /** GDPR erasure: the customer's state is dropped from memory and the store at once. */
  async erase(customerId: string): Promise<void> {
    await this.onErase(customerId);
  }

  /** As `erase`. */
  async onErase(customerId: string): Promise<void> {
    this.hot.delete(customerId);
    this.dirty.delete(customerId);
    await this.checkpoint([customerId]);
  }

  /** The raw state of a customer (loaded if needed), or undefined when never seen. */
  async state(customerId: string): Promise<CustomerFeatureState | undefined> {
    if (this.readThrough) {
      const saved = (await this.store.getMany([customerId]))[0];
      return saved ? this.features.decode(saved) : undefined;
    }
    const known = this.hot.get(customerId);
    if (known) return known.watermark === Number.NEGATIVE_INFINITY ? undefined : known;
    const saved = (await this.store.getMany([customerId]))[0];
    // Read-only: never adds an empty state nor deletes one, since concurrent reads and the
    // consumer (between its load and its apply) share `hot`. One loaded meanwhile wins: it
    // may have events applied since the store was read.
    const loaded = this.hot.get(customerId);
    if (loaded) return loaded.watermark === Number.NEGATIVE_INFINITY ? undefined : loaded;
    if (!saved) return undefined;
    const s = this.features.decode(saved);
    // Within the budget a read warms the cache; past it, reads never grow memory.
    if (this.hot.size < this.maxInMemory) this.hot.set(customerId, s);
    return s;
  }

  /**
   * A customer's features as of `asOf` (default: their latest event; 'now': the clock). Reads are exact only
   * at or after the latest applied event, so an earlier as-of is refused: use the offline
   * builder for history.
   */
  async profile(customerId: string, options: { asOf?: number | 'now'; now?: number } = {}): Promise<Profile> {
    const { state, latest, asOf } = await this.stateAt(customerId, options);
    // Read and used with no await in between: `scratch` is shared by concurrent calls.
    this.features.read(state, asOf, this.scratch);
    const lastTimes = this.features.lastEventTimes(state);
    const features: Record<string, ProfileFeature> = {};
    const asOfIso = iso(asOf);
    this.features.info.forEach((f, i) => {
      const v = this.scratch[i]!;
      const lt = lastTimes[i]!;
      features[f.name] = { value: Number.isNaN(v) ? null : v, unit: f.unit ?? null, asOf: asOfIso, lastEventAt: Number.isNaN(lt) ? null : iso(lt) };
    });
    return { customerId, asOf: asOfIso, latestEventAt: latest === undefined ? null : iso(latest), definitionsVersion: this.features.version, features };
  }

  /**
   * Just the values (null = none) as of a time, for decisions: `profile` without the
   * per-feature metadata and ISO times, which cost more than reading the state.
   */
  async values(customerId: string, options: { asOf?: number | 'now'; now?: number } = {}): Promise<{ values: Record<string, number | null>; latestEventAt: number | null }> {
    const { state, latest, asOf } = await this.stateAt(customerId, options);
    this.features.read(state, asOf, this.scratch);
    const values: Record<string, number | null> = {};
    const info = this.features.info;
    for (let i = 0; i < info.length; i++) {
      const v = this.scratch[i]!;
      values[info[i]!.name] = Number.isNaN(v) ? null : v;
    }
    return { values, latestEventAt: latest ?? null };
  }

  /** A customer's state and the time to read it at (checked against their latest event). */
  private async stateAt(customerId: string, options: { asOf?: number | 'now'; now?: number }): Promise<{ state: ReturnType<FeatureSet['newState']>; latest: number | undefined; asOf: number }> {
    const state = (await this.state(customerId)) ?? this.features.newState();
    const latest = state.watermark === Number.NEGATIVE_INFINITY ? undefined : state.watermark;
    const now = options.now ?? latest ?? 0;
    // 'now' never reads before the latest event (an event may carry a time a little ahead of the clock).
    const asOf = options.asOf === 'now' ? Math.max(now, latest ?? now) : (options.asOf ?? latest ?? now);
    if (latest !== undefined && asOf < latest) {
      throw new ValidationError([{ field: 'asOf', rule: 'before_latest_event', message: `must be at or after the customer's latest event ${iso(latest)}; use the offline builder for earlier times` }]);
    }
    return { state, latest, asOf };
  }

  /** Customers held in memory. */
  get customersInMemory(): number {
    return this.hot.size;
  }

  /** The memory budget (customers) and how many states it has dropped since start. */
  get memory(): { customersInMemory: number; maxCustomersInMemory: number; evicted: number } {
    return { customersInMemory: this.hot.size, maxCustomersInMemory: this.maxInMemory, evicted: this.evictedCount };
  }

  /** Commits what is left; the store itself is closed by its owner. */
  async close(): Promise<void> {
    if (this.dirty.size > 0 || this.sinceCheckpoint > 0) await this.checkpoint();
  }
}
