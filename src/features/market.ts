import { GLOBAL_CUSTOMER, type StoredEvent } from '../core/events.js';
import type { CustomerFeatureState, FeatureSet } from './featureSet.js';

/** One market event on the timeline: its time and log position, and how it changes a market state. */
interface Entry {
  t: number;
  seq: number;
  apply: (state: CustomerFeatureState) => void;
  /** The event itself, kept by the online store to save the timeline. */
  stored?: StoredEvent;
}

/** States before the latest kept for earlier reads (by how many events they hold). */
const PREFIX_CACHE = 1024;

/** The saved layout of a timeline (`encode`): a change rebuilds it from the log with the definitions. */
const FORMAT = 1;

/**
 * The market features' input, once for the whole bank: the global market events in (time,
 * log position) order, and the market state as of any time. Market events are few (a
 * base-rate decision, an inflation release, a shock: tens a year), so every one is kept and
 * a read at an earlier time than the latest is answered exactly, from the events up to it
 * (a profile read as of a customer's latest event, a training row as of its snapshot date):
 * a market event after the as-of time never counts, one at it always does, as for a
 * customer's own events.
 */
export class MarketTimeline {
  private readonly entries: Entry[] = [];
  private readonly seqs = new Set<number>();
  /** The state after every event (updates commute, so a late event is simply applied). */
  private live: CustomerFeatureState;
  /** States holding the first n events, for reads before the latest event. */
  private readonly prefix = new Map<number, CustomerFeatureState>();

  constructor(readonly market: FeatureSet) {
    this.live = market.newState();
  }

  /** Market events held. */
  get size(): number {
    return this.entries.length;
  }

  /** The latest market event's time (epoch ms), or undefined before any. */
  get latest(): number | undefined {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1]!.t : undefined;
  }

  /** Adds a stored market event; false when it is already there (the same log position) or not a global event. */
  add(stored: StoredEvent): boolean {
    if (stored.event.customerId !== GLOBAL_CUSTOMER) return false;
    return this.addEntry({ t: stored.t, seq: stored.seq, apply: (s) => this.market.apply(s, stored), stored });
  }

  /** Adds an event by how it changes a state (the training snapshot's encoded inputs); false when its position is there already. */
  addApplier(t: number, seq: number, apply: (state: CustomerFeatureState) => void): boolean {
    return this.addEntry({ t, seq, apply });
  }

  private addEntry(e: Entry): boolean {
    if (this.seqs.has(e.seq)) return false;
    this.seqs.add(e.seq);
    let i = this.entries.length;
    while (i > 0 && after(this.entries[i - 1]!, e)) i--;
    this.entries.splice(i, 0, e);
    e.apply(this.live);
    this.prefix.clear();
    return true;
  }

  /**
   * The market state as of `asOf`: the events at or before it. Read-only to the caller, and
   * valid until the next `add`.
   */
  stateAt(asOf: number): CustomerFeatureState {
    const n = this.countAt(asOf);
    if (n === this.entries.length) return this.live;
    let s = this.prefix.get(n);
    if (!s) {
      s = this.market.newState();
      for (let i = 0; i < n; i++) this.entries[i]!.apply(s);
      if (this.prefix.size >= PREFIX_CACHE) this.prefix.delete(this.prefix.keys().next().value as number);
      this.prefix.set(n, s);
    }
    return s;
  }

  /** How many events are at or before `asOf`. */
  private countAt(asOf: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (this.entries[m]!.t <= asOf) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  /** The saved form: the market events themselves (JSON), so a restart answers earlier reads too. */
  encode(): Uint8Array {
    const events = this.entries.map((e) => {
      if (!e.stored) throw new Error('a timeline built from encoded inputs cannot be saved');
      return e.stored;
    });
    return new TextEncoder().encode(JSON.stringify({ format: FORMAT, events }));
  }

  /** A timeline from its saved form; undefined when the layout is another (rebuild from the log). */
  static decode(market: FeatureSet, bytes: Uint8Array): MarketTimeline | undefined {
    const saved = JSON.parse(new TextDecoder().decode(bytes)) as { format?: number; events?: StoredEvent[] };
    if (saved.format !== FORMAT || !Array.isArray(saved.events)) return undefined;
    const timeline = new MarketTimeline(market);
    for (const e of saved.events) timeline.add(e);
    return timeline;
  }
}

/** Whether `a` comes after `b` in (time, log position) order. */
function after(a: Entry, b: Entry): boolean {
  return a.t > b.t || (a.t === b.t && a.seq > b.seq);
}
