import { createHash } from 'node:crypto';
import type { EventType, StoredEvent } from '../core/events.js';
import { readAggregate, type AggregateSpec } from './aggregate.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { isDerived, isMarket, MARKET_EVENT_TYPE, WINDOW_DAYS, type AggregateFeatureDef, type FeatureDef, type FeatureScope, type WindowName } from './definition.js';
import { pathReader } from './eventFields.js';
import { skipStream, StreamState, transcodeStream, type StreamNeeds } from './stream.js';
import { derivedDeps, derivedOrder, PLAIN_PATH, validateDefinitions } from './validate.js';
import { compileRule, derivedFeatureEnvironment, evaluateNumber, evaluateValue, passes, rulePath, ruleReads, type RuleProgram } from '../rules/index.js';

/** One customer's online or offline state: a stream state per stream, created on first use. */
export interface CustomerFeatureState {
  /** The latest event time applied (epoch ms); -Infinity before any. */
  watermark: number;
  streams: (StreamState | undefined)[];
}

/** The snapshot layout; part of the version, so a layout change rebuilds profiles from the log. */
const STATE_FORMAT = 3;

interface Stream {
  needs: StreamNeeds;
  filter: ((event: unknown) => boolean) | undefined;
  /** Reads the value; undefined skips the event for this stream. */
  value: ((event: unknown) => unknown) | undefined;
  /** The value expression and kind: streams with the same one read the same input from an event. */
  valueKey: string | undefined;
  distinct: boolean;
}

/** Per event type, the distinct value inputs its streams read, and each stream's input (-1: a count). */
interface TypeInputs {
  readers: { value: (event: unknown) => unknown; distinct: boolean }[];
  slotOf: number[];
}

/** A stream's number from an event's value (`apply` and `encodeInputs` alike): NaN when it is not a finite number. */
function numericValue(v: unknown): number {
  const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
  return Number.isFinite(x) ? x : Number.NaN;
}

/** What a feature is, for listings and documentation. */
export interface FeatureInfo {
  name: string;
  description: string;
  unit: string | undefined;
  kind: 'aggregate' | 'derived';
  /** `market`: one value for every customer at a time, from the global market events. */
  scope: FeatureScope;
  definition: FeatureDef;
}

/** An aggregate reads a customer's stream; a market aggregate the market state's stream (`FeatureSet.market`). */
type Compiled =
  | { kind: 'aggregate'; stream: number; spec: AggregateSpec }
  | { kind: 'market'; stream: number; spec: AggregateSpec }
  | { kind: 'derived'; formula: RuleProgram; deps: string[]; depIdx: number[] };

/**
 * A compiled set of feature definitions: the one piece of code that turns events into
 * feature values, used by the online store and the offline builder alike.
 */
export class FeatureSet {
  readonly names: readonly string[];
  readonly info: readonly FeatureInfo[];
  /** A hash of the definitions: a snapshot built from other definitions is discarded. */
  readonly version: string;
  private readonly streams: Stream[] = [];
  private readonly byType = new Map<EventType, number[]>();
  private readonly compiled: Compiled[] = [];
  private readonly derivedIdx: number[] = [];
  private readonly indexOf = new Map<string, number>();
  /**
   * The market-scope features, compiled as a feature set of their own over `market_event`:
   * its state (one for the whole bank, features/market.ts) is passed to `read` and `lookup`
   * beside the customer's. Undefined when no feature has scope market.
   */
  readonly market: FeatureSet | undefined;

  /** `marketOnly`: the market features' own set, whose streams read the global market events. */
  private constructor(defs: readonly FeatureDef[], marketOnly = false) {
    this.names = defs.map((d) => d.name);
    this.names.forEach((n, i) => this.indexOf.set(n, i));
    this.info = defs.map((d) => ({ name: d.name, description: d.description, unit: d.unit, kind: isDerived(d) ? 'derived' : 'aggregate', scope: isMarket(d) ? 'market' : 'customer', definition: d }));
    this.version = createHash('sha256').update(JSON.stringify({ format: STATE_FORMAT, defs })).digest('hex').slice(0, 16);
    const marketDefs = marketOnly ? [] : defs.filter(isMarket);
    this.market = marketDefs.length > 0 ? new FeatureSet(marketDefs, true) : undefined;
    const streamKeys = new Map<string, number>();
    const members: AggregateFeatureDef[][] = [];
    const nameSet = new Set(this.names);
    for (const def of defs) {
      if (!marketOnly && isMarket(def)) {
        const inMarket = this.market!.compiled[this.market!.indexOf.get(def.name)!] as Extract<Compiled, { kind: 'aggregate' }>;
        this.compiled.push({ kind: 'market', stream: inMarket.stream, spec: inMarket.spec });
        continue;
      }
      if (isDerived(def)) {
        const deps = derivedDeps(def.expr, nameSet);
        const formula = compileRule(def.expr, derivedFeatureEnvironment(deps), `${def.name}.expr`);
        this.compiled.push({ kind: 'derived', formula, deps, depIdx: deps.map((n) => this.names.indexOf(n)) });
        continue;
      }
      const key = JSON.stringify([[...def.events].sort(), def.where ?? '', def.value ?? '', def.aggregation === 'distinct_count']);
      let idx = streamKeys.get(key);
      if (idx === undefined) {
        idx = this.streams.length;
        streamKeys.set(key, idx);
        members.push([]);
        this.streams.push({
          needs: { bucketDays: 0, bucketCount: false, bucketSum: false, bucketSq: false, bucketMin: false, bucketMax: false, distinctDays: 0, ewmHalfLives: [], lifetimeMoments: false, lifetimeMin: false, lifetimeMax: false, firstSeen: false, lastValue: false },
          filter: def.where !== undefined ? eventPredicate(def.where, `${def.name}.where`) : undefined,
          value: def.value === undefined ? undefined : PLAIN_PATH.test(def.value) ? pathReader(def.value) : eventValue(def.value, `${def.name}.value`),
          valueKey: def.value === undefined ? undefined : JSON.stringify([def.value, def.aggregation === 'distinct_count']),
          distinct: def.aggregation === 'distinct_count',
        });
        for (const t of new Set(def.events) as Set<EventType>) {
          const list = this.byType.get(t) ?? [];
          list.push(idx);
          this.byType.set(t, list);
        }
      }
      members[idx]!.push(def);
      const needs = this.streams[idx]!.needs as { -readonly [K in keyof StreamNeeds]: StreamNeeds[K] };
      const W = WINDOW_DAYS[def.window as WindowName];
      const agg = def.aggregation;
      let ewmIndex = -1;
      if (agg === 'ewm') {
        const hl = needs.ewmHalfLives.indexOf(def.halfLifeDays!);
        ewmIndex = hl >= 0 ? hl : (needs.ewmHalfLives = [...needs.ewmHalfLives, def.halfLifeDays!]).length - 1;
      }
      if (!Number.isFinite(W) && (agg === 'sum' || agg === 'mean' || agg === 'stddev')) needs.lifetimeMoments = true;
      const flip = (def.scale ?? 1) < 0;
      const wantsMin = (agg === 'min' && !flip) || (agg === 'max' && flip);
      const wantsMax = (agg === 'max' && !flip) || (agg === 'min' && flip);
      if (!Number.isFinite(W) && wantsMin) needs.lifetimeMin = true;
      if (!Number.isFinite(W) && wantsMax) needs.lifetimeMax = true;
      if (agg === 'first_seen') needs.firstSeen = true;
      if (agg === 'last') needs.lastValue = true;
      if (agg === 'distinct_count') needs.distinctDays = Math.max(needs.distinctDays, W);
      else if (Number.isFinite(W) && agg !== 'last') {
        const span = agg === 'trend_ratio' ? 2 * W : agg === 'weekly_slope' ? 7 * Math.floor(W / 7) : W;
        needs.bucketDays = Math.max(needs.bucketDays, span);
        const hasValue = def.value !== undefined;
        if ((agg === 'sum' || agg === 'mean' || agg === 'trend_ratio' || agg === 'weekly_slope') && hasValue) needs.bucketSum = true;
        if (agg === 'count' || agg === 'mean' || agg === 'stddev' || ((agg === 'trend_ratio' || agg === 'weekly_slope') && !hasValue)) needs.bucketCount = true;
        if (agg === 'stddev') {
          needs.bucketSum = true;
          needs.bucketSq = true;
        }
        if (wantsMin) needs.bucketMin = true;
        if (wantsMax) needs.bucketMax = true;
      }
      this.compiled.push({ kind: 'aggregate', stream: idx, spec: { aggregation: agg, windowDays: W, hasValue: def.value !== undefined, ewmIndex, scale: def.scale ?? 1 } });
    }
    const order = derivedOrder(defs);
    this.derivedIdx = order.map((n) => this.names.indexOf(n));
    for (const [type, list] of this.byType) {
      const keys: string[] = [];
      const inputs: TypeInputs = { readers: [], slotOf: [] };
      for (const idx of list) {
        const s = this.streams[idx]!;
        if (!s.value || s.valueKey === undefined) {
          inputs.slotOf.push(-1);
          continue;
        }
        let slot = keys.indexOf(s.valueKey);
        if (slot < 0) {
          slot = keys.push(s.valueKey) - 1;
          inputs.readers.push({ value: s.value, distinct: s.distinct });
        }
        inputs.slotOf.push(slot);
      }
      this.inputsByType.set(type, inputs);
    }
    this.takes = new Uint8Array(this.streams.length);
    this.takeX = new Float64Array(this.streams.length);
    this.takeKey = new Array<string | undefined>(this.streams.length).fill(undefined);
  }

  private readonly inputsByType = new Map<EventType, TypeInputs>();

  /**
   * The inputs an event gives the streams, for a columnar copy of the log (training/snapshot.ts):
   * returns a mask (bit i: the i-th stream of the event's type takes the event) and writes one
   * number per value input of the type into `out` from `offset` (a distinct value as its index
   * in a dictionary kept by `keyIndex`). `applyInputs` with them changes a state exactly as
   * `apply` with the event does. Undefined when the type has more than 32 streams.
   */
  encodeInputs(stored: StoredEvent, out: Float64Array, offset: number, keyIndex: (key: string) => number): number | undefined {
    // A market event feeds the market streams: encoded for them (applied with `market.applyInputs`).
    if (this.market && stored.event.type === MARKET_EVENT_TYPE) return this.market.encodeInputs(stored, out, offset, keyIndex);
    const list = this.byType.get(stored.event.type);
    const inputs = this.inputsByType.get(stored.event.type);
    if (!list || !inputs) return 0;
    if (list.length > 32) return undefined;
    const event = stored.event;
    for (let k = 0; k < inputs.readers.length; k++) {
      const r = inputs.readers[k]!;
      const v = r.value(event);
      let x = Number.NaN;
      if (v !== undefined && v !== null) {
        if (r.distinct) x = keyIndex(String(v));
        else x = numericValue(v);
      }
      out[offset + k] = x;
    }
    let mask = 0;
    for (let i = 0; i < list.length; i++) {
      const s = this.streams[list[i]!]!;
      if (s.filter && !s.filter(event)) continue;
      const slot = inputs.slotOf[i]!;
      if (slot >= 0 && Number.isNaN(out[offset + slot]!)) continue;
      mask |= 1 << i;
    }
    return mask >>> 0;
  }

  /** How many numbers `encodeInputs` writes for an event of this type. */
  inputCount(type: EventType): number {
    if (this.market && type === MARKET_EVENT_TYPE) return this.market.inputCount(type);
    return this.inputsByType.get(type)?.readers.length ?? 0;
  }

  /** Applies an event given as `encodeInputs` encoded it (`keys`: the dictionary of distinct values). */
  applyInputs(state: CustomerFeatureState, type: EventType, t: number, seq: number, mask: number, inputs: Float64Array, offset: number, keys: readonly string[]): void {
    if (t > state.watermark) state.watermark = t;
    const list = this.byType.get(type);
    if (!list || mask === 0) return;
    const slotOf = this.inputsByType.get(type)!.slotOf;
    for (let i = 0; i < list.length; i++) {
      if (((mask >>> i) & 1) === 0) continue;
      const idx = list[i]!;
      const s = this.streams[idx]!;
      const slot = slotOf[i]!;
      let x = 1;
      let key: string | undefined;
      if (slot >= 0) {
        const v = inputs[offset + slot]!;
        if (s.distinct) key = keys[v]!;
        else x = v;
      }
      let st = state.streams[idx];
      if (!st) st = state.streams[idx] = new StreamState(s.needs);
      st.add(t, seq, x, key);
    }
  }

  /** Validates and compiles definitions; throws a ValidationError naming every problem. */
  static compile(defs: readonly unknown[]): FeatureSet {
    return new FeatureSet(validateDefinitions(defs));
  }

  get size(): number {
    return this.names.length;
  }

  /** The event types any feature reads: the offline builder scans only these. */
  get eventTypes(): EventType[] {
    return this.market ? [...this.byType.keys(), MARKET_EVENT_TYPE] : [...this.byType.keys()];
  }

  /** A customer with no events yet. */
  newState(): CustomerFeatureState {
    return { watermark: Number.NEGATIVE_INFINITY, streams: new Array<StreamState | undefined>(this.streams.length).fill(undefined) };
  }

  /** Applies one stored event to a customer's state; in any order, the result is the same. */
  apply(state: CustomerFeatureState, stored: StoredEvent): void {
    const list = this.byType.get(stored.event.type);
    if (stored.t > state.watermark) state.watermark = stored.t;
    if (!list) return;
    const event = stored.event;
    for (let i = 0; i < list.length; i++) {
      const idx = list[i]!;
      const s = this.streams[idx]!;
      if (!this.input(s, event)) continue;
      let st = state.streams[idx];
      if (!st) st = state.streams[idx] = new StreamState(s.needs);
      st.add(stored.t, stored.seq, this.inX, this.inKey);
    }
  }

  /** What `input` found: the number the event gives a stream, and its key for a distinct stream. */
  private inX = 1;
  private inKey: string | undefined = undefined;

  /** Whether the event feeds stream `s` (its filter passes and its value is usable); the input is left in `inX` / `inKey`. */
  private input(s: Stream, event: unknown): boolean {
    this.inX = 1;
    this.inKey = undefined;
    if (s.filter && !s.filter(event)) return false;
    if (!s.value) return true;
    const v = s.value(event);
    if (v === undefined || v === null) return false;
    if (s.distinct) this.inKey = String(v);
    else {
      this.inX = numericValue(v);
      if (Number.isNaN(this.inX)) return false;
    }
    return true;
  }

  /** Per stream, what the event being applied to bytes gives it: 0 nothing, 1 a value (scratch below). */
  private readonly takes: Uint8Array = new Uint8Array(0);
  private readonly takeX: Float64Array = new Float64Array(0);
  private readonly takeKey: (string | undefined)[] = [];

  /**
   * Applies one stored event to a customer's snapshot (undefined: no state yet) and writes
   * the new snapshot into `w`: byte for byte what `decode`, `apply` and `encodeInto` give,
   * without decoding the streams the event does not touch (they are copied, their two time
   * deltas moved by the watermark's step). Returns the view of `w`, or `bytes` itself when
   * the event changes nothing (a type no feature reads, not after the watermark).
   */
  applyToBytes(bytes: Uint8Array | undefined, stored: StoredEvent, w: ByteWriter): Uint8Array {
    const list = this.byType.get(stored.event.type);
    const takes = this.takes;
    let touched = 0;
    if (list) {
      const event = stored.event;
      // A filter or value that throws leaves no stream marked for the next event.
      try {
        touched = this.markTakes(list, event);
      } catch (e) {
        takes.fill(0);
        this.takeKey.fill(undefined);
        throw e;
      }
    }
    const r = bytes ? new ByteReader(bytes) : undefined;
    const before = r ? r.f64() : Number.NEGATIVE_INFINITY;
    const watermark = stored.t > before ? stored.t : before;
    if (touched === 0 && watermark === before && bytes) return bytes;
    const shift = watermark - before;
    w.reset();
    w.f64(watermark);
    try {
      for (let idx = 0; idx < this.streams.length; idx++) {
        const needs = this.streams[idx]!.needs;
        if (takes[idx] === 1) {
          takes[idx] = 0;
          const st = r ? StreamState.decode(r, needs, before) : new StreamState(needs);
          st.add(stored.t, stored.seq, this.takeX[idx]!, this.takeKey[idx]);
          this.takeKey[idx] = undefined;
          st.encode(w, watermark);
        } else if (r) transcodeStream(r, w, needs, shift);
        else w.uint(0);
      }
    } catch (e) {
      // A truncated snapshot: no stream stays marked for the next event.
      takes.fill(0);
      this.takeKey.fill(undefined);
      throw e;
    }
    return w.written();
  }

  /** Marks the streams this event feeds (`takes`) with their value; returns how many. */
  private markTakes(list: readonly number[], event: unknown): number {
    let touched = 0;
    for (let i = 0; i < list.length; i++) {
      const idx = list[i]!;
      if (!this.input(this.streams[idx]!, event)) continue;
      this.takes[idx] = 1;
      this.takeX[idx] = this.inX;
      this.takeKey[idx] = this.inKey;
      touched++;
    }
    return touched;
  }

  /**
   * Writes every feature's value as of `asOf` into `out` from `offset` (NaN = no value).
   * `market`: the market state as of `asOf` (MarketTimeline.stateAt), none: no market event yet.
   */
  read(state: CustomerFeatureState, asOf: number, out: Float64Array, offset = 0, market?: CustomerFeatureState): void {
    const c = this.compiled;
    for (let i = 0; i < c.length; i++) {
      const f = c[i]!;
      if (f.kind === 'aggregate') out[offset + i] = readAggregate(f.spec, state.streams[f.stream], asOf);
      else if (f.kind === 'market') out[offset + i] = readAggregate(f.spec, market?.streams[f.stream], asOf);
    }
    const input = (j: number) => out[offset + j]!;
    for (const i of this.derivedIdx) out[offset + i] = derivedValue(c[i] as DerivedCompiled, input);
  }

  /**
   * A reader of single features as of `asOf`: each computed when first asked and kept (a
   * derived feature reads its inputs the same way), the value `read` gives, without computing
   * the features nobody asks for. NaN: no value, or no feature of that name. Valid while
   * `state` is unchanged.
   */
  lookup(state: CustomerFeatureState, asOf: number, market?: CustomerFeatureState): (name: string) => number {
    const reader = new LazyFeatures(this.compiled, this.streams, asOf, state.streams, undefined, market);
    return (name) => reader.value(this.indexOf.get(name));
  }

  /**
   * As `lookup`, straight from a snapshot's bytes (with its watermark, as `decode` reads it):
   * a stream is decoded only when a feature asked for reads it, the ones before it stepped
   * over, so a few features of a customer held packed do not decode all ~60.
   */
  lookupBytes(bytes: Uint8Array, asOf: number, market?: CustomerFeatureState): (name: string) => number {
    const reader = new LazyFeatures(this.compiled, this.streams, asOf, [], bytes, market);
    return (name) => reader.value(this.indexOf.get(name));
  }

  /** The time of the latest event behind each feature (NaN for derived or none); `market` as for `read`. */
  lastEventTimes(state: CustomerFeatureState, market?: CustomerFeatureState): number[] {
    return this.compiled.map((f) => {
      if (f.kind === 'derived') return Number.NaN;
      const s = f.kind === 'market' ? market?.streams[f.stream] : state.streams[f.stream];
      return s && s.n > 0 ? s.lastT : Number.NaN;
    });
  }

  /** A compact binary snapshot of a customer's state. */
  encode(state: CustomerFeatureState): Uint8Array {
    return this.encodeInto(state, new ByteWriter()).slice();
  }

  /** As `encode`, into a reused writer: the view is valid until the writer's next use. */
  encodeInto(state: CustomerFeatureState, w: ByteWriter): Uint8Array {
    w.reset();
    w.f64(state.watermark);
    for (const s of state.streams) {
      if (s) s.encode(w, state.watermark);
      else w.uint(0);
    }
    return w.written();
  }

  /** Reads a snapshot written by `encode` with the same definitions. */
  decode(bytes: Uint8Array): CustomerFeatureState {
    const r = new ByteReader(bytes);
    const watermark = r.f64();
    const streams = this.streams.map((s) => {
      // Most customers feed a few of the streams: an empty one is its single 0 byte, no object.
      if (r.zero()) return undefined;
      const st = StreamState.decode(r, s.needs, watermark);
      return st.n > 0 ? st : undefined;
    });
    return { watermark, streams };
  }
}

type DerivedCompiled = Extract<Compiled, { kind: 'derived' }>;

/** A derived feature's value from its inputs' values (by feature index): a ratio over nothing (0/0, x/0) is "no value", not a number a model should see. */
function derivedValue(f: DerivedCompiled, input: (i: number) => number): number {
  const ctx: Record<string, number> = {};
  for (let k = 0; k < f.deps.length; k++) ctx[f.deps[k]!] = input(f.depIdx[k]!);
  const v = evaluateNumber(f.formula, ctx);
  return Number.isFinite(v) ? v : Number.NaN;
}

/**
 * Feature values computed when first asked (FeatureSet.lookup): each aggregate from its
 * stream, decoded from the snapshot bytes when first needed (bytes given), each derived
 * feature from its inputs read the same way, in the order `read` computes them.
 */
class LazyFeatures {
  /** Values computed so far, by feature index (a plain array: a typed pair cost more to allocate than the few reads it serves). */
  private readonly values: (number | undefined)[] = [];
  private readonly reader: ByteReader | undefined;
  private readonly watermark: number;
  /** Where each stream's bytes start, for the streams stepped over so far. */
  private readonly starts: number[] = [];
  /** Streams decoded from the bytes (null: empty). */
  private readonly fromBytes: (StreamState | null | undefined)[] = [];

  constructor(
    private readonly compiled: readonly Compiled[],
    private readonly streams: readonly Stream[],
    private readonly asOf: number,
    private readonly decoded: readonly (StreamState | undefined)[],
    private readonly bytes: Uint8Array | undefined,
    private readonly market: CustomerFeatureState | undefined,
  ) {
    this.reader = bytes ? new ByteReader(bytes) : undefined;
    this.watermark = this.reader ? this.reader.f64() : Number.NEGATIVE_INFINITY;
  }

  /** The value of feature `i` (NaN: none, or no such feature). */
  value(i: number | undefined): number {
    if (i === undefined) return Number.NaN;
    const known = this.values[i];
    if (known !== undefined) return known;
    const f = this.compiled[i]!;
    let v: number;
    if (f.kind === 'aggregate') v = readAggregate(f.spec, this.stream(f.stream), this.asOf);
    else if (f.kind === 'market') v = readAggregate(f.spec, this.market?.streams[f.stream], this.asOf);
    else v = derivedValue(f, (j) => this.value(j));
    this.values[i] = v;
    return v;
  }

  private stream(k: number): StreamState | undefined {
    const r = this.reader;
    if (!r) return this.decoded[k];
    const starts = this.starts;
    while (starts.length <= k) {
      starts.push(r.position);
      skipStream(r, this.streams[starts.length - 1]!.needs);
    }
    let st = this.fromBytes[k];
    if (st === undefined) {
      const at = new ByteReader(this.bytes!.subarray(starts[k]!));
      // As `decode`: an empty stream is its single 0 byte.
      const s = at.zero() ? undefined : StreamState.decode(at, this.streams[k]!.needs, this.watermark);
      this.fromBytes[k] = st = s && s.n > 0 ? s : null;
    }
    return st ?? undefined;
  }
}

/** Outcomes a filter remembers; past that, it keeps remembering only while most events hit. */
const FILTER_MEMO = 4096;

/**
 * A filter: an event the rule fails on (a missing optional field) does not count (rules/evaluate.ts).
 * A rule that reads only plain fields of the event gives the same outcome for the same values
 * of them: the outcome is remembered per those values (most events repeat a few: a merchant
 * category, an account type), except a run that went over budget.
 */
function eventPredicate(expr: string, field: string): (event: unknown) => boolean {
  const rule = compileRule(expr, 'feature', field);
  const direct = (event: unknown) => passes(rule, { event });
  const reads = ruleReads(rule);
  if (!reads || reads.whole.size > 0 || reads.paths.length === 0 || reads.paths.length > 4 || !reads.paths.every((p) => p.startsWith('event.'))) return direct;
  const paths = reads.paths.map((p) => p.split('.').slice(1));
  const memo = new Map<string, boolean>();
  let remember = true;
  let lookups = 0;
  let hits = 0;
  return (event) => {
    const key = remember ? memoKey(event, paths) : undefined;
    if (key === undefined) return direct(event);
    const hit = memo.get(key);
    if (memo.size >= FILTER_MEMO) {
      // Full: values that rarely repeat (an amount) are not worth the key.
      lookups++;
      if (hit !== undefined) hits++;
      if (lookups === FILTER_MEMO) {
        remember = hits * 2 >= lookups;
        lookups = hits = 0;
      }
    }
    if (hit !== undefined) return hit;
    const over = rulePath(rule)!.overBudget;
    const pass = direct(event);
    if (memo.size < FILTER_MEMO && rulePath(rule)!.overBudget === over) memo.set(key, pass);
    return pass;
  };
}

/** The values of the fields a filter reads, as a key; undefined when one is not a plain value (an object, a list, -0). */
function memoKey(event: unknown, paths: readonly string[][]): string | undefined {
  let key = '';
  for (const path of paths) {
    let v: unknown = event;
    let depth = 0;
    for (; depth < path.length; depth++) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      if (!Object.hasOwn(v, path[depth]!)) break;
      v = (v as Record<string, unknown>)[path[depth]!];
    }
    // Absent, and at which depth (a missing parent and a missing field are different errors).
    if (depth < path.length) key += `u${depth};`;
    else if (typeof v === 'string') key += `s${v.length}:${v}`;
    else if (typeof v === 'boolean') key += v ? 'T' : 'F';
    else if (typeof v === 'number' && !Object.is(v, -0)) key += `d${v};`;
    else if (v === null) key += 'n';
    else return undefined;
  }
  return key;
}

/** A value read by a rule; an event it fails on gives undefined and is skipped. */
function eventValue(expr: string, field: string): (event: unknown) => unknown {
  const rule = compileRule(expr, 'feature', field);
  return (event) => evaluateValue(rule, { event });
}
