/**
 * The training snapshot: the event log in columns, built in one pass and reused by every
 * training job (docs/decisions/0015-training-from-a-columnar-snapshot.md). Per event: time,
 * log position, customer (dictionary), type, which label matchers it meets, and what it gives
 * each feature stream (`FeatureSet.encodeInputs`: a mask and the values, CEL already
 * evaluated). Jobs read labels, point-in-time features, populations and card payments from
 * it (source.ts) and get exactly what a scan of the log gives; nobody parses JSON again.
 *
 * Kept in `<dataDir>/training-snapshot/` (typed-array files and a JSON header) and extended
 * with the events appended since; rebuilt when the feature definitions, the labels or the
 * format change, when an event arrives out of time order, or when the log lost events (an
 * erasure or a retention purge: the log's count no longer adds up). An erasure also deletes
 * the files at once (`forget`): an erased customer's rows are gone, not waiting for a rebuild.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { EVENT_TYPES, GLOBAL_CUSTOMER, type EventType, type StoredEvent } from '../core/events.js';
import type { FeatureSet } from '../features/featureSet.js';
import type { EventLog } from '../store/eventLog.js';
import { CHURN, OFFER_ACCEPTANCE, PREPAYMENT } from './definitions.js';
import { field, matcher, type LabelDef } from './labels.js';

const FORMAT = 1;

/** The labels the snapshot evaluates once per event; others are read from the log. */
export const SNAPSHOT_LABELS: readonly LabelDef[] = [OFFER_ACCEPTANCE, CHURN, PREPAYMENT];

/** The activity chain's closure: a contact-centre contact tagged close_account. */
export const isClosure = (e: StoredEvent) => e.event.type === 'contact_centre' && ((e.event.payload as { topics?: string[] }).topics?.includes('close_account') ?? false);

/** Bit of each matcher in `flags`: per label, exposure/outcome (response) or outcome/at-risk (horizon); then closures. */
export function labelBits(def: LabelDef): { a: number; b: number } | undefined {
  const i = SNAPSHOT_LABELS.indexOf(def);
  return i < 0 ? undefined : { a: 1 << (2 * i), b: 1 << (2 * i + 1) };
}
export const CLOSURE_BIT = 1 << (2 * SNAPSHOT_LABELS.length);

const TYPE_CODE = new Map<EventType, number>(EVENT_TYPES.map((t, i) => [t, i]));

/** A growable typed column. */
class Col<A extends Float64Array | Uint32Array | Uint16Array | Uint8Array> {
  n = 0;
  constructor(
    private a: A,
    private readonly make: (n: number) => A,
    n = a.length,
  ) {
    this.n = n;
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = this.make(Math.max(1024, this.a.length * 2));
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  reserve(k: number): void {
    while (this.n + k > this.a.length) {
      const b = this.make(Math.max(1024, this.a.length * 2));
      b.set(this.a);
      this.a = b;
    }
  }
  raw(): A {
    return this.a;
  }
  done(): A {
    return this.a.subarray(0, this.n) as A;
  }
}

const f64 = (n: number) => new Float64Array(n);
const u32 = (n: number) => new Uint32Array(n);
const u16 = (n: number) => new Uint16Array(n);
const u8 = (n: number) => new Uint8Array(n);

/** The columns, as stored. */
interface Columns {
  t: Float64Array;
  seq: Float64Array;
  cust: Uint32Array;
  type: Uint8Array;
  flags: Uint16Array;
  mask: Uint32Array;
  /** Feature inputs of each row in row order (`FeatureSet.inputCount(type)` numbers a row). */
  inputs: Float64Array;
  /** Response labels: rows meeting exposure or outcome, with the action and channel (indices into `strings`). */
  respRow: Uint32Array;
  respAction: Uint32Array;
  respChannel: Uint32Array;
  /** Card payments: row and amount in minor units (CLV). */
  cardRow: Uint32Array;
  cardMinor: Float64Array;
}
const COLUMN_TYPES: { [K in keyof Columns]: (n: number) => Columns[K] } = { t: f64, seq: f64, cust: u32, type: u8, flags: u16, mask: u32, inputs: f64, respRow: u32, respAction: u32, respChannel: u32, cardRow: u32, cardMinor: f64 };

interface Meta {
  format: number;
  /** Feature definitions and labels the columns were computed with. */
  key: string;
  rows: number;
  /** Highest log position in the snapshot: `readAfter` from it gives what to append. */
  headSeq: number;
  /** Which response label each resp row belongs to is by flags; dictionaries: */
  customers: string[];
  keys: string[];
  strings: string[];
}

/** What a refresh did, for progress lines and benchmarks. */
export interface SnapshotRefresh {
  action: 'loaded' | 'built' | 'extended' | 'current';
  /** Why it was (re)built, when it was. */
  reason?: string;
  rows: number;
  appended: number;
  seconds: number;
}

/** The snapshot in memory, with the per-customer index the feature builder walks. */
export class TrainingSnapshot {
  /** Row where each customer's rows start in `byCustomer` (length customers + 1). */
  readonly custStart: Uint32Array;
  /** Rows with feature inputs (mask != 0), grouped by customer, in log order within each. */
  readonly byCustomer: Uint32Array;
  /** Offset of each row's inputs in `inputs`. */
  readonly inputStart: Uint32Array;
  /** Each customer's first row. */
  readonly firstRow: Uint32Array;
  readonly customerIndex: Map<string, number>;
  readonly globalIndex: number;

  constructor(
    readonly cols: Columns,
    readonly meta: Meta,
    readonly features: FeatureSet,
  ) {
    const n = meta.rows;
    const C = meta.customers.length;
    this.customerIndex = new Map(meta.customers.map((id, i) => [id, i]));
    this.globalIndex = this.customerIndex.get(GLOBAL_CUSTOMER) ?? -1;
    this.inputStart = new Uint32Array(n + 1);
    const counts = EVENT_TYPES.map((t) => features.inputCount(t));
    const start = new Uint32Array(C + 1);
    this.firstRow = new Uint32Array(C).fill(0xffffffff);
    for (let i = 0; i < n; i++) {
      this.inputStart[i + 1] = this.inputStart[i]! + counts[cols.type[i]!]!;
      const c = cols.cust[i]!;
      if (this.firstRow[c] === 0xffffffff) this.firstRow[c] = i;
      if (cols.mask[i] !== 0) start[c + 1]!++;
    }
    for (let c = 0; c < C; c++) start[c + 1] = start[c + 1]! + start[c]!;
    const fill = start.slice(0, C);
    this.byCustomer = new Uint32Array(start[C]!);
    for (let i = 0; i < n; i++) if (cols.mask[i] !== 0) this.byCustomer[fill[cols.cust[i]!]!++] = i;
    this.custStart = start;
  }

  get rows(): number {
    return this.meta.rows;
  }

  /** First row with t >= x (rows are in (t, seq) order). */
  lowerBound(x: number): number {
    const t = this.cols.t;
    let lo = 0;
    let hi = this.meta.rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The key of what the columns depend on besides the log (the type column holds indices into EVENT_TYPES). */
function snapshotKey(features: FeatureSet): string {
  return createHash('sha256').update(JSON.stringify({ format: FORMAT, features: features.version, labels: SNAPSHOT_LABELS, closure: 'contact_centre topics close_account', types: EVENT_TYPES })).digest('hex').slice(0, 16);
}

/** Appends events (in log order) to growable columns. */
class Builder {
  readonly c: { [K in keyof Columns]: Col<Columns[K]> };
  private readonly custIdx: Map<string, number>;
  private readonly keyIdx: Map<string, number>;
  private readonly strIdx: Map<string, number>;
  private readonly matchers: { bit: number; test: (e: StoredEvent) => boolean }[] = [];
  private readonly response: { bits: number; def: Extract<LabelDef, { kind: 'response' }> }[] = [];
  private readonly scratch = new Float64Array(64);
  headSeq: number;

  constructor(
    readonly features: FeatureSet,
    readonly meta: Meta,
    base: Columns | undefined,
  ) {
    const cols = {} as { [K in keyof Columns]: Col<Columns[K]> };
    for (const k of Object.keys(COLUMN_TYPES) as (keyof Columns)[]) {
      const make = COLUMN_TYPES[k] as (n: number) => Columns[typeof k];
      (cols as Record<string, unknown>)[k] = base ? new Col(base[k], make) : new Col(make(0), make);
    }
    this.c = cols;
    this.custIdx = new Map(meta.customers.map((id, i) => [id, i]));
    this.keyIdx = new Map(meta.keys.map((k, i) => [k, i]));
    this.strIdx = new Map(meta.strings.map((k, i) => [k, i]));
    this.headSeq = meta.headSeq;
    for (const def of SNAPSHOT_LABELS) {
      const bits = labelBits(def)!;
      if (def.kind === 'response') {
        this.matchers.push({ bit: bits.a, test: matcher(def.exposure) }, { bit: bits.b, test: matcher(def.outcome) });
        this.response.push({ bits: bits.a | bits.b, def });
      } else {
        this.matchers.push({ bit: bits.a, test: matcher(def.outcome) });
        if (def.atRisk) this.matchers.push({ bit: bits.b, test: matcher(def.atRisk) });
      }
    }
    this.matchers.push({ bit: CLOSURE_BIT, test: isClosure });
  }

  private str(s: string): number {
    let i = this.strIdx.get(s);
    if (i === undefined) {
      i = this.meta.strings.push(s) - 1;
      this.strIdx.set(s, i);
    }
    return i;
  }

  private readonly keyOf = (k: string): number => {
    let i = this.keyIdx.get(k);
    if (i === undefined) {
      i = this.meta.keys.push(k) - 1;
      this.keyIdx.set(k, i);
    }
    return i;
  };

  /** Adds one event; false when the feature set cannot be encoded (a type with more than 32 streams). */
  add(e: StoredEvent): boolean {
    const row = this.c.t.n;
    const id = e.event.customerId;
    let cust = this.custIdx.get(id);
    if (cust === undefined) {
      cust = this.meta.customers.push(id) - 1;
      this.custIdx.set(id, cust);
    }
    const k = this.features.inputCount(e.event.type);
    const mask = this.features.encodeInputs(e, this.scratch, 0, this.keyOf);
    if (mask === undefined) return false;
    let flags = 0;
    for (const m of this.matchers) if (m.test(e)) flags |= m.bit;
    this.c.t.push(e.t);
    this.c.seq.push(e.seq);
    this.c.cust.push(cust);
    this.c.type.push(TYPE_CODE.get(e.event.type)!);
    this.c.flags.push(flags);
    this.c.mask.push(mask);
    this.c.inputs.reserve(k);
    for (let j = 0; j < k; j++) this.c.inputs.push(this.scratch[j]!);
    for (const r of this.response) {
      if ((flags & r.bits) === 0) continue;
      this.c.respRow.push(row);
      this.c.respAction.push(this.str(field(e, r.def.actionField) ?? ''));
      this.c.respChannel.push(this.str(field(e, r.def.channelField) ?? ''));
    }
    if (e.event.type === 'card_payment') {
      this.c.cardRow.push(row);
      this.c.cardMinor.push((e.event as { payload: { amount: { minor: number } } }).payload.amount.minor);
    }
    if (e.seq > this.headSeq) this.headSeq = e.seq;
    return true;
  }

  finish(): { cols: Columns; meta: Meta } {
    const cols = {} as Columns;
    for (const k of Object.keys(this.c) as (keyof Columns)[]) (cols as unknown as Record<string, unknown>)[k] = this.c[k].done();
    return { cols, meta: { ...this.meta, rows: this.c.t.n, headSeq: this.headSeq } };
  }
}

/** Only one response label is snapshotted today; the resp columns carry no label id. */
if (SNAPSHOT_LABELS.filter((d) => d.kind === 'response').length > 1) throw new Error('the snapshot keeps response fields for one response label');

/**
 * Keeps the snapshot of one log: in memory between runs, on disk in `dir` (none: memory only).
 * `refresh` brings it up to the log's head; `forget` drops it (an erasure).
 */
export class SnapshotStore {
  private current: TrainingSnapshot | undefined;
  /** Bumped by `forget`: a refresh that overlapped an erasure neither saves nor keeps what it read. */
  private generation = 0;

  constructor(
    private readonly log: EventLog,
    private readonly dir: string | undefined,
  ) {}

  /** Drops the snapshot, in memory and on disk: the next refresh rebuilds it from the log. */
  forget(): void {
    this.generation++;
    this.current = undefined;
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true });
      rmSync(`${this.dir}.tmp`, { recursive: true, force: true });
    }
  }

  /** Frees the in-memory copy when there is one on disk (a server keeps no ~40 bytes an event between runs); the next refresh loads it. */
  release(): void {
    if (this.dir) this.current = undefined;
  }

  /** The snapshot as of the log's head, for these feature definitions. */
  async refresh(features: FeatureSet, progress?: (events: number) => void): Promise<{ snapshot: TrainingSnapshot | undefined; refresh: SnapshotRefresh }> {
    const t0 = Date.now();
    const generation = this.generation;
    const key = snapshotKey(features);
    let snap = this.current?.meta.key === key ? this.current : undefined;
    let action: SnapshotRefresh['action'] = 'current';
    if (!snap) {
      const loaded = this.load(key, features);
      if (loaded) {
        snap = loaded;
        action = 'loaded';
      }
    }
    const total = await this.log.count();
    let reason: string | undefined;
    let appended = 0;
    if (snap) {
      const fresh: StoredEvent[] = [];
      for (let after = snap.meta.headSeq; ; ) {
        const page = await this.log.readAfter(after, 20_000);
        if (page.length === 0) break;
        fresh.push(...page);
        after = page[page.length - 1]!.seq;
      }
      fresh.sort((a, b) => a.t - b.t || a.seq - b.seq);
      const last = snap.rows - 1;
      const c = snap.cols;
      if (snap.rows + fresh.length !== total) reason = `the log holds ${total} events, the snapshot ${snap.rows} and ${fresh.length} appended since (an erasure, a purge or an event committed late)`;
      else if (fresh.length > 0 && last >= 0 && (fresh[0]!.t < c.t[last]! || (fresh[0]!.t === c.t[last]! && fresh[0]!.seq < c.seq[last]!))) reason = 'an appended event is older than the snapshot\'s latest';
      else if (fresh.length > 0) {
        const b = new Builder(features, { ...snap.meta, customers: [...snap.meta.customers], keys: [...snap.meta.keys], strings: [...snap.meta.strings] }, snap.cols);
        for (const e of fresh) if (!b.add(e)) return this.unsupported(t0);
        const out = b.finish();
        snap = new TrainingSnapshot(out.cols, out.meta, features);
        appended = fresh.length;
        action = 'extended';
        if (generation === this.generation) this.save(snap);
      }
      if (reason) snap = undefined;
    } else reason = this.dir && existsSync(join(this.dir, 'meta.json')) ? 'the feature definitions, labels or format changed' : 'no snapshot yet';
    if (!snap) {
      const b = new Builder(features, { format: FORMAT, key, rows: 0, headSeq: -1, customers: [], keys: [], strings: [] }, undefined);
      let n = 0;
      for await (const page of this.log.scan({ batchSize: 20_000 })) {
        for (const e of page) if (!b.add(e)) return this.unsupported(t0);
        n += page.length;
        progress?.(n);
      }
      const out = b.finish();
      snap = new TrainingSnapshot(out.cols, out.meta, features);
      action = 'built';
      if (generation === this.generation) this.save(snap);
    }
    // An erasure during the refresh: this run reads what it built (as a scan under way would), nothing keeps it.
    this.current = generation === this.generation ? snap : undefined;
    return { snapshot: snap, refresh: { action, ...(reason && action === 'built' ? { reason } : {}), rows: snap.rows, appended, seconds: (Date.now() - t0) / 1000 } };
  }

  private unsupported(t0: number) {
    this.current = undefined;
    return { snapshot: undefined, refresh: { action: 'current' as const, reason: 'a feature type has more than 32 streams: training reads the log', rows: 0, appended: 0, seconds: (Date.now() - t0) / 1000 } };
  }

  private save(s: TrainingSnapshot): void {
    if (!this.dir) return;
    const tmp = `${this.dir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true, mode: 0o700 });
    for (const k of Object.keys(COLUMN_TYPES) as (keyof Columns)[]) {
      const a = s.cols[k];
      writeFileSync(join(tmp, `${k}.bin`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength), { mode: 0o600 });
    }
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify(s.meta), { mode: 0o600 });
    rmSync(this.dir, { recursive: true, force: true });
    renameSync(tmp, this.dir);
  }

  private load(key: string, features: FeatureSet): TrainingSnapshot | undefined {
    if (!this.dir || !existsSync(join(this.dir, 'meta.json'))) return undefined;
    try {
      const meta = JSON.parse(readFileSync(join(this.dir, 'meta.json'), 'utf8')) as Meta;
      if (meta.format !== FORMAT || meta.key !== key) return undefined;
      const cols = {} as Columns;
      for (const k of Object.keys(COLUMN_TYPES) as (keyof Columns)[]) {
        const buf = readFileSync(join(this.dir, `${k}.bin`));
        const make = COLUMN_TYPES[k] as (n: number) => Columns[typeof k];
        const bytes = make(0).BYTES_PER_ELEMENT;
        const a = make(buf.byteLength / bytes);
        new Uint8Array(a.buffer).set(buf);
        (cols as unknown as Record<string, unknown>)[k] = a;
      }
      if (cols.t.length !== meta.rows) return undefined;
      return new TrainingSnapshot(cols, meta, features);
    } catch {
      // A torn or foreign file: rebuilt from the log.
      return undefined;
    }
  }
}
