import { ValidationError } from '../core/errors.js';
import type { StoredEvent } from '../core/events.js';
import { GLOBAL_CUSTOMER } from '../core/events.js';
import type { LogConsumer } from '../store/consumer.js';
import type { EventLog } from '../store/eventLog.js';
import type { ProfileSnapshot, ProfileStore } from '../store/profileStore.js';
import { ByteWriter } from './bytes.js';
import type { CustomerFeatureState, FeatureSet } from './featureSet.js';
import { MarketTimeline } from './market.js';
import { PackedStates } from './packed.js';

import type { Profile, ProfileFeature } from './profileSchema.js';

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
   * Customers kept decoded between batches (the most recently updated), so a customer with
   * events in many small batches is not decoded and packed again for each. Default 2,048.
   */
  decodedCacheSize?: number;
  /**
   * Reads only, straight from the store (with a bus): another instance applies most
   * customers' events, so a state held here would go stale. The store is not a consumer then.
   */
  readThrough?: boolean;
  /**
   * On a store other instances write (PostgreSQL without a bus): which of these customers were
   * erased. A checkpoint asks it first and drops those customers instead of saving them back
   * (an instance that missed another's erasure notice).
   */
  erasedAmong?: (customerIds: readonly string[]) => Promise<Set<string>>;
}

/** The default budget: customers held in memory, a few hundred bytes to a few KB each packed (bench/results/state.md; config.ts has the same default). */
export const DEFAULT_MAX_CUSTOMERS_IN_MEMORY = 1_000_000;

/** The default number of customers kept decoded between batches. */
const DECODED_CACHE = 2_048;
/** Read-through: how long a read of the saved market timeline serves later reads (ms). */
const MARKET_REFRESH_MS = 1_000;

import { iso } from '../core/clock.js';

/**
 * The online feature store: each stored event updates its customer's state in memory
 * (O(1) amortised per stream: a day bucket is found from the newest end). States are held
 * packed, as their snapshot bytes (packed.ts); the most recently updated are also kept
 * decoded (a write-back cache: packed again when they leave it or before a commit). Changed
 * customers are committed to the ProfileStore with the log position in batches, and on
 * start the log after the checkpoint is replayed. A log consumer named `features`: its
 * consumer checkpoint is the snapshot checkpoint, committed with the states it describes.
 */
export class OnlineFeatureStore implements LogConsumer {
  readonly name = 'features';
  /** Customers held in memory, least recently used first: their snapshot bytes. */
  private readonly hot = new PackedStates();
  private readonly writer = new ByteWriter();
  /** Decoded states, least recently updated first; those in `unpacked` are newer than their bytes in `hot`. */
  private readonly decoded = new Map<string, CustomerFeatureState>();
  private readonly unpacked = new Set<string>();
  /**
   * Customers whose last event was applied to their packed bytes, the latest `decodedCacheSize`
   * (ids only): a second event while one is here decodes the customer into the cache. A stream
   * spread over many more customers than the cache stays on the bytes; a few busy customers
   * (small batches, the same customers again and again) are kept decoded.
   */
  private readonly recent = new Set<string>();
  private readonly decodedCacheSize: number;
  private readonly dirty = new Set<string>();
  private appliedSeq = 0;
  private sinceCheckpoint = 0;
  private readonly checkpointEvents: number;
  private readonly maxInMemory: number;
  private evictedCount = 0;
  private readonly scratch: Float64Array;
  private readonly readThrough: boolean;
  private readonly erasedAmong: OnlineOptions['erasedAmong'];
  /**
   * The market events behind the market-scope features, once for every customer (features/market.ts);
   * saved under the global customer id with the checkpoint. Undefined without market features.
   */
  private market: MarketTimeline | undefined;
  private marketDirty = false;
  /** Read-through: the saved timeline's bytes it was decoded from, so an unchanged one is not decoded again. */
  private marketBytes: Uint8Array | undefined;
  /** Read-through: when the saved timeline was last read (performance.now()), so it is read at most once per MARKET_REFRESH_MS. */
  private marketReadAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly features: FeatureSet,
    private readonly store: ProfileStore,
    options: OnlineOptions = {},
  ) {
    this.checkpointEvents = options.checkpointEvents ?? 50_000;
    this.maxInMemory = options.maxCustomersInMemory ?? DEFAULT_MAX_CUSTOMERS_IN_MEMORY;
    if (!(this.maxInMemory >= 1)) throw new RangeError('maxCustomersInMemory must be at least 1');
    this.readThrough = options.readThrough ?? false;
    this.erasedAmong = options.erasedAmong;
    this.decodedCacheSize = options.decodedCacheSize ?? DECODED_CACHE;
    if (!(this.decodedCacheSize >= 1)) throw new RangeError('decodedCacheSize must be at least 1');
    this.scratch = new Float64Array(features.size);
    this.market = features.market ? new MarketTimeline(features.market) : undefined;
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
    this.marketDirty = false;
    this.marketBytes = undefined;
    this.marketReadAt = Number.NEGATIVE_INFINITY;
    if (this.features.market) {
      const saved = this.rebuilt || !cp ? undefined : (await this.store.getMany([GLOBAL_CUSTOMER]))[0];
      const timeline = saved ? MarketTimeline.decode(this.features.market, saved) : new MarketTimeline(this.features.market);
      if (!timeline) {
        // Saved in another layout: the whole log is replayed to rebuild it (and every profile with it).
        await this.store.clear();
        this.rebuilt = true;
      }
      this.market = timeline ?? new MarketTimeline(this.features.market);
    }
    this.hot.clear();
    this.decoded.clear();
    this.unpacked.clear();
    this.recent.clear();
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
    // From here to the end of the loop nothing awaits: no read sees a state half applied.
    let applied = 0;
    for (const e of events) {
      const id = e.event.customerId;
      // Already applied (replay overlap): skip. A global event moves the market once, not any customer.
      if (e.seq <= from) continue;
      if (id === GLOBAL_CUSTOMER) {
        if (this.market?.add(e)) {
          this.marketDirty = true;
          applied++;
        }
        continue;
      }
      const cached = this.decoded.get(id);
      if (cached || this.recent.delete(id)) {
        // Decoded (or missed twice within the cache's span, so likely to have more events soon): applied to objects.
        this.features.apply(cached ? this.cachedState(id, cached) : this.live(id), e);
        this.unpacked.add(id);
      } else {
        // Applied to the packed bytes: only the streams the event feeds are decoded.
        const bytes = this.hot.get(id);
        const next = this.features.applyToBytes(bytes, e, this.writer);
        if (next !== bytes) this.hot.set(id, next);
        this.recent.add(id);
        if (this.recent.size > this.decodedCacheSize) this.recent.delete(this.recent.values().next().value as string);
      }
      // Most recently used last (once per checkpoint interval: the coldest come first).
      if (!this.dirty.has(id)) this.hot.touch(id);
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
   * A customer's state to update: from the decoded cache, else decoded from `hot`, else new
   * (held in `hot` at once, so the budget counts it). The least recently updated leaves the
   * cache past its size, packed first if it changed.
   */
  private live(id: string): CustomerFeatureState {
    let state = this.decoded.get(id);
    if (state) return this.cachedState(id, state);
    const bytes = this.hot.get(id);
    state = bytes ? this.features.decode(bytes) : this.features.newState();
    if (!bytes) this.hot.set(id, this.features.encodeInto(state, this.writer));
    this.decoded.set(id, state);
    if (this.decoded.size > this.decodedCacheSize) {
      const [old, oldState] = this.decoded.entries().next().value as [string, CustomerFeatureState];
      this.decoded.delete(old);
      if (this.unpacked.delete(old)) this.hot.set(old, this.features.encodeInto(oldState, this.writer));
    }
    return state;
  }

  /** A decoded state, made the most recently updated. */
  private cachedState(id: string, state: CustomerFeatureState): CustomerFeatureState {
    this.decoded.delete(id);
    this.decoded.set(id, state);
    return state;
  }

  /** Packs every changed decoded state into `hot` (they stay decoded). */
  private flush(): void {
    for (const id of this.unpacked) this.hot.set(id, this.features.encodeInto(this.decoded.get(id)!, this.writer));
    this.unpacked.clear();
  }

  /**
   * Keeps memory within the budget: commits what changed (so nothing dropped is lost, and
   * the checkpoint stays exact), then drops the least recently used down to 90% of it.
   * Called only from the consumer's own path, which also owns checkpoints.
   */
  private async evict(): Promise<void> {
    await this.checkpoint();
    const target = Math.floor(this.maxInMemory * 0.9);
    const drop: string[] = [];
    for (const id of this.hot.keys()) {
      if (this.hot.size - drop.length <= target) break;
      // Changed during the commit's await (a read cannot change a state; kept for safety).
      if (this.dirty.has(id)) continue;
      drop.push(id);
    }
    for (const id of drop) {
      this.hot.delete(id);
      this.decoded.delete(id);
    }
    this.evictedCount += drop.length;
  }

  /** Brings these customers' saved states into memory (new ones start empty when their first event is applied). */
  private async load(ids: string[]): Promise<void> {
    const missing = ids.filter((id) => !this.hot.has(id));
    if (missing.length === 0) return;
    const saved = await this.store.getMany(missing);
    // One read may have brought a customer in meanwhile: the same saved bytes, kept.
    missing.forEach((id, i) => {
      const bytes = saved[i];
      if (bytes && !this.hot.has(id)) this.hot.set(id, bytes);
    });
  }

  /**
   * Commits every changed customer and the log position, in one store transaction. The
   * states and the position are taken together before the commit's await; a customer
   * changed while it is in flight stays dirty for the next one.
   */
  async checkpoint(remove: readonly string[] = []): Promise<void> {
    this.flush();
    if (this.erasedAmong && this.dirty.size > 0) {
      const gone = await this.erasedAmong([...this.dirty]);
      if (gone.size > 0) {
        for (const id of gone) this.forget(id);
        remove = [...remove, ...gone];
      }
    }
    const ids = [...this.dirty];
    // Copies: the packed bytes change under a later batch while the commit awaits.
    const put: ProfileSnapshot[] = ids.map((id) => ({ customerId: id, state: this.hot.get(id)!.slice() }));
    const marketChanged = this.marketDirty && this.market !== undefined;
    if (marketChanged) put.push({ customerId: GLOBAL_CUSTOMER, state: this.market!.encode() });
    this.marketDirty = false;
    const checkpoint = { seq: this.appliedSeq, version: this.features.version };
    const since = this.sinceCheckpoint;
    this.dirty.clear();
    this.sinceCheckpoint = 0;
    try {
      await this.store.commit({ put, remove, checkpoint });
    } catch (e) {
      for (const id of ids) if (this.hot.has(id)) this.dirty.add(id);
      if (marketChanged) this.marketDirty = true;
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
    // The global id holds the market, which belongs to no customer: nothing to erase.
    if (customerId === GLOBAL_CUSTOMER) return;
    this.forget(customerId);
    await this.checkpoint([customerId]);
  }

  /** Drops everything held of an erased customer: packed bytes (zeroed), decoded state, ids, and the writer's scratch copy. */
  private forget(customerId: string): void {
    this.hot.delete(customerId);
    this.decoded.delete(customerId);
    this.unpacked.delete(customerId);
    this.dirty.delete(customerId);
    this.recent.delete(customerId);
    this.writer.wipe();
  }

  /** The raw state of a customer (loaded if needed), or undefined when never seen. */
  async state(customerId: string): Promise<CustomerFeatureState | undefined> {
    // The global id's saved bytes are the market timeline, not a customer's state.
    if (customerId === GLOBAL_CUSTOMER) return undefined;
    if (this.readThrough) {
      const saved = (await this.store.getMany([customerId]))[0];
      return saved ? this.features.decode(saved) : undefined;
    }
    const live = this.decoded.get(customerId);
    if (live) return this.copy(live);
    const known = this.hot.get(customerId);
    if (known) return this.decodeState(known);
    const saved = (await this.store.getMany([customerId]))[0];
    // Read-only: never adds an empty state nor deletes one, since concurrent reads and the
    // consumer (between its load and its apply) share `hot`. One loaded meanwhile wins: it
    // may have events applied since the store was read.
    const liveNow = this.decoded.get(customerId);
    if (liveNow) return this.copy(liveNow);
    const loaded = this.hot.get(customerId);
    if (loaded) return this.decodeState(loaded);
    if (!saved) return undefined;
    // Within the budget a read warms the cache; past it, reads never grow memory.
    if (this.hot.size < this.maxInMemory) this.hot.set(customerId, saved);
    return this.decodeState(saved);
  }

  /** A state decoded from its bytes (a copy: changing it changes nothing held), or undefined before any event. */
  private decodeState(bytes: Uint8Array): CustomerFeatureState | undefined {
    const s = this.features.decode(bytes);
    return s.watermark === Number.NEGATIVE_INFINITY ? undefined : s;
  }

  /** A copy of a decoded state, through its snapshot. */
  private copy(state: CustomerFeatureState): CustomerFeatureState | undefined {
    return this.decodeState(this.features.encodeInto(state, this.writer));
  }

  /**
   * A customer's features as of `asOf` (default: their latest event; 'now': the clock). Reads are exact only
   * at or after the latest applied event, so an earlier as-of is refused: use the offline
   * builder for history.
   */
  async profile(customerId: string, options: { asOf?: number | 'now'; now?: number } = {}): Promise<Profile> {
    const { state, latest, asOf, market } = await this.stateAt(customerId, options);
    // Read and used with no await in between: `scratch` is shared by concurrent calls.
    this.features.read(state, asOf, this.scratch, 0, market);
    const lastTimes = this.features.lastEventTimes(state, market);
    const features: Record<string, ProfileFeature> = {};
    const asOfIso = iso(asOf);
    this.features.info.forEach((f, i) => {
      const v = this.scratch[i]!;
      const lt = lastTimes[i]!;
      const feature: ProfileFeature = { value: Number.isNaN(v) ? null : v, unit: f.unit ?? null, asOf: asOfIso, lastEventAt: Number.isNaN(lt) ? null : iso(lt) };
      if (f.scope === 'market') feature.scope = 'market';
      features[f.name] = feature;
    });
    return { customerId, asOf: asOfIso, latestEventAt: latest === undefined ? null : iso(latest), definitionsVersion: this.features.version, features };
  }

  /**
   * Just the values (null = none) as of a time, for decisions: `profile` without the
   * per-feature metadata and ISO times, which cost more than reading the state.
   */
  async values(customerId: string, options: { asOf?: number | 'now'; now?: number } = {}): Promise<{ values: Record<string, number | null>; latestEventAt: number | null }> {
    const { state, latest, asOf, market } = await this.stateAt(customerId, options);
    this.features.read(state, asOf, this.scratch, 0, market);
    const values: Record<string, number | null> = {};
    const info = this.features.info;
    for (let i = 0; i < info.length; i++) {
      const v = this.scratch[i]!;
      values[info[i]!.name] = Number.isNaN(v) ? null : v;
    }
    return { values, latestEventAt: latest ?? null };
  }

  /**
   * Some of a customer's features as of a time, for readers that need a few of them (the
   * trigger consumer): `use` gets a lookup that computes each feature only when asked
   * (FeatureSet.lookup) and runs at once, before any other work can change the state; it must
   * not keep the lookup.
   */
  async readSome<T>(customerId: string, options: { asOf?: number | 'now'; now?: number }, use: (value: (name: string) => number) => T): Promise<T> {
    // Held packed and not decoded (most customers): read from the bytes, decoding only the streams asked for.
    const bytes = this.readThrough || this.decoded.has(customerId) ? undefined : this.hot.get(customerId);
    if (bytes) {
      const watermark = new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
      if (watermark !== Number.NEGATIVE_INFINITY) {
        const asOf = this.asOfFor(watermark, options);
        return use(this.features.lookupBytes(bytes, asOf, this.market?.stateAt(asOf)));
      }
    }
    const { state, asOf, market } = await this.stateAt(customerId, options);
    return use(this.features.lookup(state, asOf, market));
  }

  /**
   * A customer's state and the time to read it at (checked against their latest event), with
   * the market state as of that time (undefined without market features).
   */
  private async stateAt(
    customerId: string,
    options: { asOf?: number | 'now'; now?: number },
  ): Promise<{ state: CustomerFeatureState; latest: number | undefined; asOf: number; market: CustomerFeatureState | undefined }> {
    if (this.readThrough) await this.refreshMarket();
    // A state in the decoded cache is read as it is (no copy): nothing awaits before the caller reads it.
    const live = this.readThrough ? undefined : this.decoded.get(customerId);
    const state = (live && live.watermark !== Number.NEGATIVE_INFINITY ? live : await this.state(customerId)) ?? this.features.newState();
    const latest = state.watermark === Number.NEGATIVE_INFINITY ? undefined : state.watermark;
    const asOf = this.asOfFor(latest, options);
    return { state, latest, asOf, market: this.market?.stateAt(asOf) };
  }

  /**
   * Read-through: the market timeline as saved (another instance applies the market events),
   * read again at most once per MARKET_REFRESH_MS: a profile or decision read would otherwise
   * fetch the whole timeline from the shared store beside the customer's own state. Market
   * events come a few times a month, and the saved timeline already lags the owner by its
   * checkpoint, so a second more changes nothing a reader could tell.
   */
  private async refreshMarket(): Promise<void> {
    if (!this.features.market) return;
    const t = performance.now();
    if (t - this.marketReadAt < MARKET_REFRESH_MS) return;
    this.marketReadAt = t;
    const bytes = (await this.store.getMany([GLOBAL_CUSTOMER]))[0];
    if (!bytes) {
      this.market = new MarketTimeline(this.features.market);
      this.marketBytes = undefined;
      return;
    }
    if (this.marketBytes && Buffer.compare(this.marketBytes, bytes) === 0) return;
    this.market = MarketTimeline.decode(this.features.market, bytes) ?? new MarketTimeline(this.features.market);
    this.marketBytes = bytes;
  }

  /** Market events applied so far (0 without market features). */
  get marketEvents(): number {
    return this.market?.size ?? 0;
  }

  /**
   * The market timeline (the market events applied so far; as saved, with read-through), to
   * read market features at any time (`stateAt`); undefined without market features. Valid
   * until the next batch is applied.
   */
  async marketTimeline(): Promise<MarketTimeline | undefined> {
    if (this.readThrough) await this.refreshMarket();
    return this.market;
  }

  /** The time to read a customer at whose latest event is `latest` (checked against it). */
  private asOfFor(latest: number | undefined, options: { asOf?: number | 'now'; now?: number }): number {
    const now = options.now ?? latest ?? 0;
    // 'now' never reads before the latest event (an event may carry a time a little ahead of the clock).
    const asOf = options.asOf === 'now' ? Math.max(now, latest ?? now) : (options.asOf ?? latest ?? now);
    if (latest !== undefined && asOf < latest) {
      throw new ValidationError([{ field: 'asOf', rule: 'before_latest_event', message: `must be at or after the customer's latest event ${iso(latest)}; use the offline builder for earlier times` }]);
    }
    return asOf;
  }

  /** Customers held in memory. */
  get customersInMemory(): number {
    return this.hot.size;
  }

  /**
   * The memory budget (customers) and how many states it has dropped since start; the bytes
   * of the packed states held (changed ones packed first) and of the arenas holding them
   * (outside the JS heap); customers kept decoded.
   */
  get memory(): { customersInMemory: number; maxCustomersInMemory: number; evicted: number; stateBytes: number; arenaBytes: number; decoded: number } {
    this.flush();
    const { stateBytes, arenaBytes } = this.hot.stats();
    return { customersInMemory: this.hot.size, maxCustomersInMemory: this.maxInMemory, evicted: this.evictedCount, stateBytes, arenaBytes, decoded: this.decoded.size };
  }

  /** Commits what is left; the store itself is closed by its owner. */
  async close(): Promise<void> {
    if (this.dirty.size > 0 || this.sinceCheckpoint > 0) await this.checkpoint();
  }
}
