/**
 * The training snapshot: the event log in columns, built in one pass and reused by every
 * training job (docs/decisions/0015-training-from-a-columnar-snapshot.md, 0021). Per event:
 * time, log position, customer (dictionary), type, which label matchers it meets, and what
 * it gives each feature stream (`FeatureSet.encodeInputs`: a mask and the values, CEL
 * already evaluated). Jobs read labels, point-in-time features, populations and card
 * payments from it (source.ts) and get exactly what a scan of the log gives.
 *
 * Kept in `<dataDir>/training-snapshot/` as append-only column files in log-position order
 * (plus dictionary files and a `meta.json` that says how much of each file is committed),
 * and followed as the log grows: the engine's `training-snapshot` log consumer appends the
 * events it applies (`SnapshotFollower`), and a training run reads only the log after the
 * snapshot's last position. Sorted into (time, position) order in memory when loaded. An
 * erasure removes the customer's rows at once; a retention purge the purged rows. Rebuilt from
 * the log when the feature definitions, labels or format change, when a file is torn, or when
 * the log's count does not add up (events lost or committed out of position order).
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { EVENT_TYPES, GLOBAL_CUSTOMER, type EventType, type StoredEvent } from '../core/events.js';
import type { FeatureSet } from '../features/featureSet.js';
import type { EventLog } from '../store/eventLog.js';
import { CHURN, OFFER_ACCEPTANCE, PREPAYMENT } from './definitions.js';
import { field, matcher, type LabelDef } from './labels.js';
import { shared, type MatrixColumns } from './matrix.js';

const FORMAT = 2;

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

/** A zeroed Uint32Array in shared memory (worker threads read it in place). */
const sharedU32 = (n: number) => new Uint32Array(new SharedArrayBuffer(4 * n));

const TYPE_CODE = new Map<EventType, number>(EVENT_TYPES.map((t, i) => [t, i]));

type Typed = Float64Array | Uint32Array | Uint16Array | Uint8Array;

/** A growable typed column. */
class Col<A extends Typed> {
  n = 0;
  constructor(
    private a: A,
    private readonly make: (n: number) => A,
  ) {}
  private grow(need: number): void {
    let size = Math.max(1024, this.a.length * 2);
    while (size < need) size *= 2;
    const b = this.make(size);
    b.set(this.a);
    this.a = b;
  }
  push(v: number): void {
    if (this.n === this.a.length) this.grow(this.n + 1);
    this.a[this.n++] = v;
  }
  /** Appends `k` numbers of `src` from `from`. */
  pushFrom(src: Float64Array, from: number, k: number): void {
    if (this.n + k > this.a.length) this.grow(this.n + k);
    for (let j = 0; j < k; j++) this.a[this.n++] = src[from + j]!;
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
type ColName = keyof Columns;
const COLUMN_TYPES: { [K in ColName]: (n: number) => Columns[K] } = { t: f64, seq: f64, cust: u32, type: u8, flags: u16, mask: u32, inputs: f64, respRow: u32, respAction: u32, respChannel: u32, cardRow: u32, cardMinor: f64 };
const COLUMN_NAMES = Object.keys(COLUMN_TYPES) as ColName[];
const WIDTH = Object.fromEntries(COLUMN_NAMES.map((k) => [k, COLUMN_TYPES[k](0).BYTES_PER_ELEMENT])) as Record<ColName, number>;
/** A column of `n` elements in shared memory: the snapshot as loaded or sorted is what workers read, with no copy (matrix.ts). */
const sharedColumn = <K extends ColName>(k: K, n: number): Columns[K] => {
  const C = COLUMN_TYPES[k](0).constructor as new (b: SharedArrayBuffer) => Columns[K];
  return new C(new SharedArrayBuffer(n * WIDTH[k]));
};
/** Columns indexed by row (the others by resp or card entry, or by input). */
const ROW_COLUMNS = ['t', 'seq', 'cust', 'type', 'flags', 'mask'] as const;

const DICTS = ['customers', 'keys', 'strings'] as const;
type DictName = (typeof DICTS)[number];

/** What a training snapshot's readers see besides the columns. */
interface Meta {
  /** Feature definitions and labels the columns were computed with. */
  key: string;
  rows: number;
  /** Highest log position in the snapshot: `readAfter` from it gives what to append. */
  headSeq: number;
  /** Dictionaries (an erased customer's entry is ''). */
  customers: string[];
  keys: string[];
  strings: string[];
}

/** `meta.json`: how much of each file is committed (a file may be longer after a crash: the rest is cut off). */
interface DiskMeta {
  format: number;
  key: string;
  rows: number;
  headSeq: number;
  /** Elements of each column file. */
  lengths: Record<ColName, number>;
  /** Entries and bytes of each dictionary file (one JSON string a line). */
  dicts: Record<DictName, { entries: number; bytes: number }>;
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

/** The snapshot in memory, in (t, seq) order, with the per-customer index the feature builder walks. */
export class TrainingSnapshot {
  /** The columns feature matrices read, in shared memory (made on first use: one copy of each column, then shared with workers). */
  private matrix: MatrixColumns | undefined;
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
    this.customerIndex = new Map();
    meta.customers.forEach((id, i) => id !== '' && this.customerIndex.set(id, i));
    this.globalIndex = this.customerIndex.get(GLOBAL_CUSTOMER) ?? -1;
    this.inputStart = inputStarts(cols.type, n, features);
    const start = sharedU32(C + 1);
    this.firstRow = new Uint32Array(C).fill(0xffffffff);
    for (let i = 0; i < n; i++) {
      const c = cols.cust[i]!;
      if (this.firstRow[c] === 0xffffffff) this.firstRow[c] = i;
      if (cols.mask[i] !== 0) start[c + 1]!++;
    }
    for (let c = 0; c < C; c++) start[c + 1] = start[c + 1]! + start[c]!;
    const fill = start.slice(0, C);
    this.byCustomer = sharedU32(start[C]!);
    for (let i = 0; i < n; i++) if (cols.mask[i] !== 0) this.byCustomer[fill[cols.cust[i]!]!++] = i;
    this.custStart = start;
  }

  get rows(): number {
    return this.meta.rows;
  }

  /**
   * What a feature matrix reads (matrix.ts), in shared memory so worker threads read the same
   * bytes. Columns loaded or sorted are there already; others (built or extended in this
   * process) are moved there on the first call that asks (one copy per column; `cols` then
   * holds the shared ones, so the old ones can go). `share: false` (one thread) copies nothing.
   */
  matrixColumns(share = true): MatrixColumns {
    if (this.matrix) return this.matrix;
    const c = this.cols;
    if (!share) return { t: c.t, seq: c.seq, type: c.type, mask: c.mask, inputs: c.inputs, inputStart: this.inputStart, byCustomer: this.byCustomer, custStart: this.custStart, globalIndex: this.globalIndex, keys: this.meta.keys };
    c.t = shared(c.t);
    c.seq = shared(c.seq);
    c.type = shared(c.type);
    c.mask = shared(c.mask);
    c.inputs = shared(c.inputs);
    return (this.matrix = { t: c.t, seq: c.seq, type: c.type, mask: c.mask, inputs: c.inputs, inputStart: this.inputStart, byCustomer: this.byCustomer, custStart: this.custStart, globalIndex: this.globalIndex, keys: this.meta.keys });
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

/** Offset of each row's inputs (length n + 1). */
function inputStarts(type: Uint8Array, n: number, features: FeatureSet): Uint32Array {
  const counts = EVENT_TYPES.map((t) => features.inputCount(t));
  const start = sharedU32(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i]! + counts[type[i]!]!;
  return start;
}

/** The key of what the columns depend on besides the log (the type column holds indices into EVENT_TYPES). */
function snapshotKey(features: FeatureSet): string {
  return createHash('sha256').update(JSON.stringify({ format: FORMAT, features: features.version, labels: SNAPSHOT_LABELS, closure: 'contact_centre topics close_account', types: EVENT_TYPES })).digest('hex').slice(0, 16);
}

/** A dictionary: values by index and the reverse; '' (an erased customer) is never looked up. */
class Dict {
  readonly index = new Map<string, number>();
  constructor(readonly list: string[]) {
    list.forEach((s, i) => s !== '' && this.index.set(s, i));
  }
  of(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.push(s) - 1;
      this.index.set(s, i);
    }
    return i;
  }
}

/** The snapshot as kept (rows in log-position order), without its columns. */
interface Base {
  key: string;
  rows: number;
  headSeq: number;
  lengths: Record<ColName, number>;
  dicts: Record<DictName, Dict>;
  /** Dictionary entries and bytes already in the files. */
  saved: Record<DictName, { entries: number; bytes: number }>;
}

const zeroLengths = (): Record<ColName, number> => Object.fromEntries(COLUMN_NAMES.map((k) => [k, 0])) as Record<ColName, number>;
const emptyBase = (key: string, headSeq: number): Base => ({ key, rows: 0, headSeq, lengths: zeroLengths(), dicts: { customers: new Dict([]), keys: new Dict([]), strings: new Dict([]) }, saved: { customers: { entries: 0, bytes: 0 }, keys: { entries: 0, bytes: 0 }, strings: { entries: 0, bytes: 0 } } });

/** Appends events to growable columns, numbering rows from `rowBase`, with the base's dictionaries. */
class Builder {
  readonly c: { [K in ColName]: Col<Columns[K]> };
  /** Per type code, the matchers of that type (a matcher meets only events of its types). */
  private readonly matchers: { bit: number; test: (e: StoredEvent) => boolean }[][] = EVENT_TYPES.map(() => []);
  private readonly response: { bits: number; def: Extract<LabelDef, { kind: 'response' }> }[] = [];
  private readonly scratch = new Float64Array(64);
  private readonly counts = new Map<EventType, number>(EVENT_TYPES.map((t) => [t, 0]));
  private readonly keyOf: (k: string) => number;
  headSeq: number;

  constructor(
    readonly features: FeatureSet,
    readonly dicts: Record<DictName, Dict>,
    private readonly rowBase: number,
    headSeq: number,
  ) {
    const cols = {} as { [K in ColName]: Col<Columns[K]> };
    for (const k of COLUMN_NAMES) {
      const make = COLUMN_TYPES[k] as (n: number) => Columns[typeof k];
      (cols as Record<string, unknown>)[k] = new Col(make(0), make);
    }
    this.c = cols;
    this.headSeq = headSeq;
    for (const t of EVENT_TYPES) this.counts.set(t, features.inputCount(t));
    const keys = dicts.keys;
    this.keyOf = (k) => keys.of(k);
    for (const def of SNAPSHOT_LABELS) {
      const bits = labelBits(def)!;
      if (def.kind === 'response') {
        this.match(def.exposure.events, bits.a, matcher(def.exposure));
        this.match(def.outcome.events, bits.b, matcher(def.outcome));
        this.response.push({ bits: bits.a | bits.b, def });
      } else {
        this.match(def.outcome.events, bits.a, matcher(def.outcome));
        if (def.atRisk) this.match(def.atRisk.events, bits.b, matcher(def.atRisk));
      }
    }
    this.match(['contact_centre'], CLOSURE_BIT, isClosure);
  }

  private match(types: readonly EventType[], bit: number, test: (e: StoredEvent) => boolean): void {
    for (const t of new Set(types)) {
      const code = TYPE_CODE.get(t);
      if (code !== undefined) this.matchers[code]!.push({ bit, test });
    }
  }

  get rows(): number {
    return this.c.t.n;
  }

  /** Adds one event; false when the feature set cannot be encoded (a type with more than 32 streams). */
  add(e: StoredEvent): boolean {
    const row = this.rowBase + this.c.t.n;
    const type = e.event.type;
    const mask = this.features.encodeInputs(e, this.scratch, 0, this.keyOf);
    if (mask === undefined) return false;
    const code = TYPE_CODE.get(type)!;
    let flags = 0;
    const matchers = this.matchers[code];
    if (matchers) for (const m of matchers) if (m.test(e)) flags |= m.bit;
    this.c.t.push(e.t);
    this.c.seq.push(e.seq);
    this.c.cust.push(this.dicts.customers.of(e.event.customerId));
    this.c.type.push(code);
    this.c.flags.push(flags);
    this.c.mask.push(mask);
    this.c.inputs.pushFrom(this.scratch, 0, this.counts.get(type)!);
    if (flags !== 0) {
      for (const r of this.response) {
        if ((flags & r.bits) === 0) continue;
        this.c.respRow.push(row);
        this.c.respAction.push(this.dicts.strings.of(field(e, r.def.actionField) ?? ''));
        this.c.respChannel.push(this.dicts.strings.of(field(e, r.def.channelField) ?? ''));
      }
    }
    if (type === 'card_payment') {
      this.c.cardRow.push(row);
      this.c.cardMinor.push((e.event as { payload: { amount: { minor: number } } }).payload.amount.minor);
    }
    if (e.seq > this.headSeq) this.headSeq = e.seq;
    return true;
  }

  columns(): Columns {
    const cols = {} as Columns;
    for (const k of COLUMN_NAMES) (cols as unknown as Record<string, unknown>)[k] = this.c[k].done();
    return cols;
  }
}

/** Only one response label is snapshotted today; the resp columns carry no label id. */
if (SNAPSHOT_LABELS.filter((d) => d.kind === 'response').length > 1) throw new Error('the snapshot keeps response fields for one response label');

function concat<A extends Typed>(a: A, b: A): A {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out = new (a.constructor as new (n: number) => A)(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const concatColumns = (a: Columns, b: Columns): Columns => Object.fromEntries(COLUMN_NAMES.map((k) => [k, concat(a[k] as Typed, b[k] as Typed)])) as unknown as Columns;

/**
 * The rows in (t, seq) order: undefined when they already are (rows are appended in log
 * position order, which is event-time order but for late events). The rows that break the
 * order are taken out, sorted and merged back: O(n) plus the late ones' sort.
 */
function timeOrder(t: Float64Array, seq: Float64Array, n: number): Uint32Array | undefined {
  const before = (a: number, b: number) => t[a]! < t[b]! || (t[a]! === t[b]! && seq[a]! < seq[b]!);
  let i = 1;
  while (i < n && before(i - 1, i)) i++;
  if (i >= n) return undefined;
  const main: number[] = [];
  const late: number[] = [];
  let last = -1;
  for (let r = 0; r < n; r++) {
    if (last < 0 || before(last, r)) {
      main.push(r);
      last = r;
    } else late.push(r);
  }
  late.sort((a, b) => t[a]! - t[b]! || seq[a]! - seq[b]!);
  const order = new Uint32Array(n);
  let a = 0;
  let b = 0;
  for (let k = 0; k < n; k++) order[k] = b >= late.length || (a < main.length && before(main[a]!, late[b]!)) ? main[a++]! : late[b++]!;
  return order;
}

/** Keeps the rows `keep` says (in `order` when given, else as they are); row numbers in resp and card columns follow. */
function select(cols: Columns, n: number, features: FeatureSet, order: Uint32Array | undefined, keep: ((row: number) => boolean) | undefined): Columns {
  const start = inputStarts(cols.type, n, features);
  const respOf = new Int32Array(n).fill(-1);
  for (let k = 0; k < cols.respRow.length; k++) respOf[cols.respRow[k]!] = k;
  const cardOf = new Int32Array(n).fill(-1);
  for (let k = 0; k < cols.cardRow.length; k++) cardOf[cols.cardRow[k]!] = k;
  let m = 0;
  const rows = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const r = order ? order[k]! : k;
    if (!keep || keep(r)) rows[m++] = r;
  }
  const out = {} as Record<ColName, Typed>;
  for (const name of ROW_COLUMNS) {
    const src = cols[name];
    const dst = sharedColumn(name, m);
    for (let k = 0; k < m; k++) dst[k] = src[rows[k]!]!;
    out[name] = dst;
  }
  let inputs = 0;
  let resp = 0;
  let card = 0;
  for (let k = 0; k < m; k++) {
    const r = rows[k]!;
    inputs += start[r + 1]! - start[r]!;
    if (respOf[r]! >= 0) resp++;
    if (cardOf[r]! >= 0) card++;
  }
  const inp = sharedColumn('inputs', inputs);
  const respRow = new Uint32Array(resp);
  const respAction = new Uint32Array(resp);
  const respChannel = new Uint32Array(resp);
  const cardRow = new Uint32Array(card);
  const cardMinor = new Float64Array(card);
  let p = 0;
  resp = 0;
  card = 0;
  for (let k = 0; k < m; k++) {
    const r = rows[k]!;
    for (let j = start[r]!; j < start[r + 1]!; j++) inp[p++] = cols.inputs[j]!;
    const q = respOf[r]!;
    if (q >= 0) {
      respRow[resp] = k;
      respAction[resp] = cols.respAction[q]!;
      respChannel[resp++] = cols.respChannel[q]!;
    }
    const c = cardOf[r]!;
    if (c >= 0) {
      cardRow[card] = k;
      cardMinor[card++] = cols.cardMinor[c]!;
    }
  }
  return { ...(out as unknown as Pick<Columns, (typeof ROW_COLUMNS)[number]>), inputs: inp, respRow, respAction, respChannel, cardRow, cardMinor };
}

const lengthsOf = (cols: Columns): Record<ColName, number> => Object.fromEntries(COLUMN_NAMES.map((k) => [k, cols[k].length])) as Record<ColName, number>;
const bytesOf = (a: Typed) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const dictText = (entries: readonly string[]) => entries.map((s) => `${JSON.stringify(s)}\n`).join('');

/** Where the snapshot is kept: files in a directory, or memory (the memory store). */
interface Keeping {
  /** The kept snapshot's base for this key (undefined: none, another key, or torn). */
  base(key: string): Base | undefined;
  columns(base: Base): Columns;
  /** Appends rows after `base`'s (and the dictionary entries added since it was saved). */
  append(base: Base, rows: Columns, headSeq: number): Base;
  /** Replaces whatever is kept. */
  write(key: string, headSeq: number, dicts: Record<DictName, Dict>, cols: Columns): Base;
  drop(): void;
  /** Why there is no base (for the refresh's reason). */
  missing(): string;
}

/** Typed-array files, appended and fsynced before `meta.json` (written aside and renamed) says they hold the rows. */
class DirKeeping implements Keeping {
  constructor(private readonly dir: string) {}

  missing(): string {
    return existsSync(join(this.dir, 'meta.json')) ? 'the feature definitions, labels or format changed, or a file was torn' : 'no snapshot yet';
  }

  base(key: string): Base | undefined {
    const dir = this.dir;
    if (!existsSync(join(dir, 'meta.json'))) return undefined;
    try {
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as DiskMeta;
      if (meta.format !== FORMAT || meta.key !== key) return undefined;
      // Longer files are a crash between an append and its meta: cut to what meta says. Shorter are torn.
      for (const k of COLUMN_NAMES) if (!this.fit(join(dir, `${k}.bin`), meta.lengths[k] * WIDTH[k])) return undefined;
      const dicts = {} as Record<DictName, Dict>;
      for (const d of DICTS) {
        const file = join(dir, `${d}.jsonl`);
        const want = meta.dicts[d];
        if (!this.fit(file, want.bytes)) return undefined;
        const text = want.bytes === 0 ? '' : readFileSync(file, 'utf8');
        const list = text === '' ? [] : (text.slice(0, -1).split('\n').map((l) => JSON.parse(l)) as string[]);
        if (list.length !== want.entries || list.some((s) => typeof s !== 'string')) return undefined;
        dicts[d] = new Dict(list);
      }
      if (meta.lengths.t !== meta.rows || ROW_COLUMNS.some((k) => meta.lengths[k] !== meta.rows)) return undefined;
      return { key, rows: meta.rows, headSeq: meta.headSeq, lengths: meta.lengths, dicts, saved: meta.dicts };
    } catch {
      // A torn or foreign meta: rebuilt from the log.
      return undefined;
    }
  }

  /** True when the file holds at least `bytes` (and then exactly, cut); false when shorter or missing. */
  private fit(file: string, bytes: number): boolean {
    if (!existsSync(file)) return false;
    const size = statSync(file).size;
    if (size < bytes) return false;
    if (size > bytes) {
      const fd = openSync(file, 'r+');
      try {
        ftruncateSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    return true;
  }

  columns(base: Base): Columns {
    const cols = {} as Record<ColName, Typed>;
    for (const k of COLUMN_NAMES) {
      const a = sharedColumn(k, base.lengths[k]);
      const fd = openSync(join(this.dir, `${k}.bin`), 'r');
      try {
        const bytes = bytesOf(a);
        for (let off = 0; off < bytes.length; ) {
          const got = readSync(fd, bytes, off, bytes.length - off, off);
          if (got === 0) throw new Error(`training snapshot: ${k}.bin is shorter than meta.json says`);
          off += got;
        }
      } finally {
        closeSync(fd);
      }
      cols[k] = a;
    }
    return cols as unknown as Columns;
  }

  append(base: Base, rows: Columns, headSeq: number): Base {
    const lengths = { ...base.lengths };
    for (const k of COLUMN_NAMES) {
      if (rows[k].length === 0) continue;
      writeAt(join(this.dir, `${k}.bin`), base.lengths[k] * WIDTH[k], bytesOf(rows[k]));
      lengths[k] += rows[k].length;
    }
    const saved = { ...base.saved };
    for (const d of DICTS) {
      const list = base.dicts[d].list;
      if (list.length === saved[d].entries) continue;
      const text = Buffer.from(dictText(list.slice(saved[d].entries)));
      writeAt(join(this.dir, `${d}.jsonl`), saved[d].bytes, text);
      saved[d] = { entries: list.length, bytes: saved[d].bytes + text.length };
    }
    const next: Base = { ...base, rows: lengths.t, headSeq, lengths, saved };
    writeAside(this.dir, 'meta.json', JSON.stringify(diskMeta(next)));
    return next;
  }

  write(key: string, headSeq: number, dicts: Record<DictName, Dict>, cols: Columns): Base {
    const tmp = `${this.dir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true, mode: 0o700 });
    for (const k of COLUMN_NAMES) appendFile(join(tmp, `${k}.bin`), bytesOf(cols[k]));
    const saved = {} as Base['saved'];
    for (const d of DICTS) {
      const text = Buffer.from(dictText(dicts[d].list));
      appendFile(join(tmp, `${d}.jsonl`), text);
      saved[d] = { entries: dicts[d].list.length, bytes: text.length };
    }
    const base: Base = { key, rows: cols.t.length, headSeq, lengths: lengthsOf(cols), dicts, saved };
    writeAside(tmp, 'meta.json', JSON.stringify(diskMeta(base)));
    rmSync(this.dir, { recursive: true, force: true });
    renameSync(tmp, this.dir);
    return base;
  }

  drop(): void {
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(`${this.dir}.tmp`, { recursive: true, force: true });
  }
}

const diskMeta = (b: Base): DiskMeta => ({ format: FORMAT, key: b.key, rows: b.rows, headSeq: b.headSeq, lengths: b.lengths, dicts: b.saved });

function appendFile(file: string, bytes: Uint8Array): void {
  const fd = openSync(file, 'a', 0o600);
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes at `offset`, cutting what an append that failed before its meta left there. */
function writeAt(file: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(file, existsSync(file) ? 'r+' : 'w', 0o600);
  try {
    ftruncateSync(fd, offset);
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off, offset + off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a file beside its name, fsyncs it and renames it over: readers see the old one or the new one. */
function writeAside(dir: string, name: string, text: string): void {
  const tmp = join(dir, `${name}.tmp`);
  rmSync(tmp, { force: true });
  appendFile(tmp, Buffer.from(text));
  renameSync(tmp, join(dir, name));
}

/** The memory store's keeping: the columns in memory. */
class MemoryKeeping implements Keeping {
  private kept: { base: Base; cols: Columns } | undefined;
  missing(): string {
    return 'no snapshot yet';
  }
  base(key: string): Base | undefined {
    return this.kept?.base.key === key ? this.kept.base : undefined;
  }
  columns(): Columns {
    return this.kept!.cols;
  }
  append(base: Base, rows: Columns, headSeq: number): Base {
    const cols = concatColumns(this.kept!.cols, rows);
    const next: Base = { ...base, rows: cols.t.length, headSeq, lengths: lengthsOf(cols) };
    this.kept = { base: next, cols };
    return next;
  }
  write(key: string, headSeq: number, dicts: Record<DictName, Dict>, cols: Columns): Base {
    const base: Base = { key, rows: cols.t.length, headSeq, lengths: lengthsOf(cols), dicts, saved: emptyBase(key, 0).saved };
    this.kept = { base, cols };
    return base;
  }
  drop(): void {
    this.kept = undefined;
  }
}

const PAGE = 20_000;
/** Rows the follower gathers before it appends them to the files. */
const FOLLOW_FLUSH_ROWS = 50_000;

/**
 * Keeps the snapshot of one log, on disk in `dir` (none: in memory). `refresh` brings it up to
 * the log's head for a training run; `follower` keeps it up to date as the log grows; `erase`
 * and `purge` remove rows as the log loses them; `forget` drops it all.
 *
 * Every change of what is kept is one synchronous step (no other turn of the event loop sees
 * it half done) that bumps `version`; a refresh or a follower's gathered rows based on an
 * older version are not kept (the next refresh reads those events from the log again).
 */
export class SnapshotStore {
  /** The base as kept, once read (undefined: not read yet, none, or another key). */
  private kept: Base | undefined;
  private none: { key: string; version: number } | undefined;
  private version = 0;
  private readonly keeping: Keeping;
  private follow: SnapshotFollower | undefined;

  constructor(
    private readonly log: EventLog,
    dir: string | undefined,
  ) {
    this.keeping = dir ? new DirKeeping(dir) : new MemoryKeeping();
  }

  /** Drops the snapshot: the next refresh rebuilds it from the log. */
  forget(): void {
    this.version++;
    this.kept = undefined;
    this.keeping.drop();
  }

  private baseFor(key: string): Base | undefined {
    if (this.kept?.key === key) return this.kept;
    // None (or torn) is remembered until something is kept: the follower asks at every batch.
    if (this.none?.key === key && this.none.version === this.version) return undefined;
    this.kept = this.keeping.base(key);
    this.none = this.kept ? undefined : { key, version: this.version };
    return this.kept;
  }

  /**
   * Removes rows (an erasure or a purge) in one synchronous step. The version moves on
   * whatever is found: a refresh under way (whose read may hold the removed events) keeps nothing.
   */
  private removeRows(features: FeatureSet, plan: (base: Base) => { dicts: Record<DictName, Dict>; gone: (cols: Columns) => ((row: number) => boolean) | undefined } | undefined): void {
    this.follow?.flush();
    this.version++;
    const key = snapshotKey(features);
    const base = this.baseFor(key);
    if (!base) {
      // Kept for other definitions (or torn): nothing to filter, nothing worth keeping.
      this.kept = undefined;
      this.keeping.drop();
      return;
    }
    const p = plan(base);
    if (!p) return;
    const cols = this.keeping.columns(base);
    const gone = p.gone(cols);
    const kept = gone ? select(cols, base.rows, features, undefined, (r) => !gone(r)) : cols;
    this.kept = this.keeping.write(key, base.headSeq, p.dicts, kept);
  }

  /** GDPR erasure: the customer's rows and dictionary entry are removed from what is kept, at once. */
  erase(customerId: string, features: FeatureSet): void {
    this.removeRows(features, (base) => {
      const c = base.dicts.customers.index.get(customerId);
      if (c === undefined) return undefined;
      // A new dictionary: a refresh under way keeps reading the one it has.
      const list = [...base.dicts.customers.list];
      list[c] = '';
      return { dicts: { ...base.dicts, customers: new Dict(list) }, gone: (cols) => (r) => cols.cust[r] === c };
    });
  }

  /** A retention purge: rows of each type older than its cutoff, as `EventLog.purgeType` removed them. */
  purge(cutoffs: readonly { type: EventType; before: number }[], features: FeatureSet): void {
    if (cutoffs.length === 0) return;
    const before = new Float64Array(EVENT_TYPES.length).fill(Number.NEGATIVE_INFINITY);
    for (const c of cutoffs) before[TYPE_CODE.get(c.type)!] = c.before;
    this.removeRows(features, (base) => ({
      dicts: base.dicts,
      gone: ({ type, t }) => {
        let any = false;
        for (let r = 0; r < type.length && !any; r++) any = t[r]! < before[type[r]!]!;
        return any ? (r) => t[r]! < before[type[r]!]! : undefined;
      },
    }));
  }

  /** The follower the engine's log consumer drives (one per store). */
  follower(features: () => FeatureSet): SnapshotFollower {
    return (this.follow ??= new SnapshotFollower(this, this.log, features));
  }

  /** @internal (the follower) */
  current(key: string): { base: Base | undefined; version: number } {
    return { base: this.baseFor(key), version: this.version };
  }

  /** @internal (the follower): appends rows gathered on `version`; false when the kept snapshot changed since. */
  commitAppend(version: number, base: Base, rows: Columns, headSeq: number): boolean {
    if (version !== this.version || this.kept !== base) return false;
    this.kept = this.keeping.append(base, rows, headSeq);
    this.version++;
    return true;
  }

  /** @internal (the follower): an empty snapshot of an empty log, to follow from its start. */
  startEmpty(key: string, headSeq: number): void {
    this.version++;
    this.kept = this.keeping.write(key, headSeq, emptyBase(key, headSeq).dicts, emptyColumns());
  }

  /** The snapshot as of the log's head, for these feature definitions. */
  async refresh(features: FeatureSet, progress?: (events: number) => void): Promise<{ snapshot: TrainingSnapshot | undefined; refresh: SnapshotRefresh }> {
    const t0 = Date.now();
    this.follow?.flush();
    const version = this.version;
    const key = snapshotKey(features);
    const base = this.baseFor(key);
    const seconds = () => (Date.now() - t0) / 1000;
    let reason: string | undefined;
    if (base) {
      const total = await this.log.count();
      const b = new Builder(features, base.dicts, base.rows, base.headSeq);
      if (!(await readLog(this.log, b, base.headSeq))) return this.unsupported(t0);
      const appended = b.rows;
      if (base.rows + appended === total) {
        const fresh = b.columns();
        let cols = this.keeping.columns(base);
        // Kept unless the kept snapshot changed meanwhile (an erasure, the follower): then this run reads what it read.
        if (appended > 0 && version === this.version && this.kept === base) {
          this.kept = this.keeping.append(base, fresh, b.headSeq);
          this.version++;
        }
        cols = concatColumns(cols, fresh);
        const snapshot = this.sorted(cols, key, b.headSeq, base.dicts, features);
        return { snapshot, refresh: { action: appended > 0 ? 'extended' : 'loaded', rows: snapshot.rows, appended, seconds: seconds() } };
      }
      reason = `the log holds ${total} events, the snapshot ${base.rows} and ${appended} appended since (an erasure, a purge or an event committed late)`;
    } else reason = this.keeping.missing();
    const dicts = emptyBase(key, 0).dicts;
    const b = new Builder(features, dicts, 0, 0);
    // In log-position order (the log's primary key: no sort, no index lookups); sorted in memory below.
    if (!(await readLog(this.log, b, 0, progress))) return this.unsupported(t0);
    const cols = b.columns();
    if (version === this.version) {
      this.kept = this.keeping.write(key, b.headSeq, dicts, cols);
      this.version++;
    }
    const snapshot = this.sorted(cols, key, b.headSeq, dicts, features);
    return { snapshot, refresh: { action: 'built', reason, rows: snapshot.rows, appended: 0, seconds: seconds() } };
  }

  /** The rows in (t, seq) order, as training reads them. */
  private sorted(cols: Columns, key: string, headSeq: number, dicts: Record<DictName, Dict>, features: FeatureSet): TrainingSnapshot {
    const n = cols.t.length;
    const order = timeOrder(cols.t, cols.seq, n);
    const rows = order ? select(cols, n, features, order, undefined) : cols;
    return new TrainingSnapshot(rows, { key, rows: n, headSeq, customers: [...dicts.customers.list], keys: [...dicts.keys.list], strings: [...dicts.strings.list] }, features);
  }

  private unsupported(t0: number) {
    return { snapshot: undefined, refresh: { action: 'current' as const, reason: 'a feature type has more than 32 streams: training reads the log', rows: 0, appended: 0, seconds: (Date.now() - t0) / 1000 } };
  }
}

/**
 * Adds the log's events after `after` to the builder, in log-position order; false when the
 * feature set cannot be encoded. A log that gives its stored bodies in pages (SQLite: read
 * ahead on a worker thread) is read so, with no StoredEvent objects made.
 */
async function readLog(log: EventLog, b: Builder, after: number, progress?: (events: number) => void): Promise<boolean> {
  if (log.bodyPages) {
    // One row object reused: the builder keeps nothing of it.
    const row: StoredEvent = { seq: 0, t: 0, recordedAt: Number.NaN, event: undefined as unknown as StoredEvent['event'] };
    for await (const page of log.bodyPages(after, PAGE)) {
      const { seq, t, bodies } = page;
      for (let i = 0; i < bodies.length; i++) {
        row.seq = seq[i]!;
        row.t = t[i]!;
        row.event = JSON.parse(bodies[i]!) as StoredEvent['event'];
        if (!b.add(row)) return false;
      }
      progress?.(b.rows);
    }
    return true;
  }
  for (;;) {
    const page = await log.readAfter(after, PAGE);
    if (page.length === 0) return true;
    for (const e of page) if (!b.add(e)) return false;
    after = page[page.length - 1]!.seq;
    progress?.(b.rows);
  }
}

const emptyColumns = (): Columns => Object.fromEntries(COLUMN_NAMES.map((k) => [k, COLUMN_TYPES[k](0)])) as unknown as Columns;

/**
 * Appends the events a log consumer applies to the kept snapshot, so a training run finds it
 * at (or near) the log's head and reads only what came after. Its checkpoint is the kept
 * snapshot's last position; it gathers rows in memory and appends them every
 * FOLLOW_FLUSH_ROWS rows, before a refresh, an erasure, a purge and at close. With no
 * snapshot kept for a non-empty log it only keeps its place: the first training builds one.
 */
export class SnapshotFollower {
  /** The log position of the last event it was given. */
  private pos = 0;
  private gathering: { builder: Builder; base: Base; version: number } | undefined;
  private disabled = false;

  constructor(
    private readonly store: SnapshotStore,
    private readonly log: EventLog,
    private readonly features: () => FeatureSet,
  ) {}

  /** Where the consumer starts: the kept snapshot's last position, or the log's head when there is none to extend. */
  async open(): Promise<number> {
    const key = snapshotKey(this.features());
    const { base } = this.store.current(key);
    if (base) return (this.pos = base.headSeq);
    const head = await this.log.head();
    if ((await this.log.count()) === 0) this.store.startEmpty(key, head);
    return (this.pos = head);
  }

  /** Appends the events after the kept snapshot's last position; idempotent (older positions are skipped). */
  async apply(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const prev = this.pos;
    this.pos = Math.max(this.pos, events[events.length - 1]!.seq);
    if (this.disabled) return;
    const features = this.features();
    const key = snapshotKey(features);
    const { base, version } = this.store.current(key);
    if (this.gathering && (this.gathering.version !== version || this.gathering.base !== base)) this.gathering = undefined;
    if (!base) return;
    const head = this.gathering?.builder.headSeq ?? base.headSeq;
    // Events between the kept head and these were never appended here: the next refresh reads them.
    if (prev > head) return;
    const g = (this.gathering ??= { builder: new Builder(features, base.dicts, base.rows, base.headSeq), base, version });
    for (const e of events) {
      if (e.seq <= head) continue;
      if (!g.builder.add(e)) {
        this.disabled = true;
        this.gathering = undefined;
        return;
      }
    }
    if (g.builder.rows >= FOLLOW_FLUSH_ROWS) this.flush();
  }

  /** Appends what it gathered (dropped when the kept snapshot changed since). */
  flush(): void {
    const g = this.gathering;
    this.gathering = undefined;
    if (!g || g.builder.rows === 0) return;
    this.store.commitAppend(g.version, g.base, g.builder.columns(), g.builder.headSeq);
  }
}
