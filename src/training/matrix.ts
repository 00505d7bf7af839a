/**
 * Point-in-time feature rows from the training snapshot, in pieces that any thread can build
 * (docs/decisions/0029). A piece is a run of whole customers: each customer's state is built
 * from its own rows alone (and the market's, shared by every row), so a matrix built piece by
 * piece, on this thread or on a worker, is the matrix built in one go, number for number.
 *
 * What a piece reads is `MatrixColumns`: the snapshot's columns in shared memory (a worker
 * gets views of the same bytes, never a copy) and the dictionary of distinct values; the
 * feature definitions are data, so a worker compiles its own `FeatureSet` from them and
 * checks that its version is the snapshot's.
 */
import { EVENT_TYPES, type EventType } from '../core/events.js';
import type { FeatureDef } from '../features/definition.js';
import type { FeatureSet } from '../features/featureSet.js';
import { MarketTimeline } from '../features/market.js';

/** The snapshot columns a feature matrix reads (SharedArrayBuffer-backed: a worker shares them). */
export interface MatrixColumns {
  t: Float64Array;
  seq: Float64Array;
  type: Uint8Array;
  mask: Uint32Array;
  inputs: Float64Array;
  /** Offset of each row's inputs in `inputs`. */
  inputStart: Uint32Array;
  /** Rows with feature inputs, grouped by customer (TrainingSnapshot.byCustomer). */
  byCustomer: Uint32Array;
  /** Where each customer's rows start in `byCustomer` (length customers + 1). */
  custStart: Uint32Array;
  /** The market's customer index (the global id), -1 when the snapshot has none. */
  globalIndex: number;
  /** Distinct values of distinct-count streams, by index. */
  keys: readonly string[];
}

/** What a worker needs to build pieces of one snapshot: its columns and the definitions it was encoded with. */
export interface MatrixSource {
  columns: MatrixColumns;
  definitions: readonly FeatureDef[];
  /** `FeatureSet.version` of those definitions: a worker whose compiled set differs refuses (the piece is built here). */
  version: string;
}

/** One piece of a matrix: rows in (customer, as-of) order, whole customers only. */
export interface MatrixPiece {
  /** Customer index of each row (-1: no rows in the snapshot, or left out: every value is the empty state's). */
  cust: Int32Array;
  asOf: Float64Array;
}

const TYPES = EVENT_TYPES as readonly EventType[];

/** A typed array in shared memory (the same array when it already is). */
export function shared<A extends Float64Array | Uint32Array | Uint8Array>(a: A): A {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = new (a.constructor as new (b: SharedArrayBuffer) => A)(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/** The market state at every as-of time, from the global id's rows; undefined without market features or events. */
function marketOf(c: MatrixColumns, features: FeatureSet): MarketTimeline | undefined {
  if (!features.market || c.globalIndex < 0) return undefined;
  const m = features.market;
  const market = new MarketTimeline(m);
  for (let r = c.custStart[c.globalIndex]!; r < c.custStart[c.globalIndex + 1]!; r++) {
    const e = c.byCustomer[r]!;
    market.addApplier(c.t[e]!, c.seq[e]!, (state) => m.applyInputs(state, TYPES[c.type[e]!]!, c.t[e]!, c.seq[e]!, c.mask[e]!, c.inputs, c.inputStart[e]!, c.keys));
  }
  return market;
}

/**
 * The feature rows of a piece, row-major in the piece's order: each customer's rows are
 * applied once, in log order, and a row is read just after the last row at or before its
 * as-of time (an event after it never counts, one at it always does).
 */
export function buildPiece(c: MatrixColumns, features: FeatureSet, piece: MatrixPiece): Float64Array {
  const F = features.size;
  const n = piece.cust.length;
  const values = new Float64Array(n * F);
  const market = marketOf(c, features);
  let k = 0;
  while (k < n) {
    const cust = piece.cust[k]!;
    const state = features.newState();
    let r = cust < 0 ? 0 : c.custStart[cust]!;
    const end = cust < 0 ? 0 : c.custStart[cust + 1]!;
    for (; k < n && piece.cust[k] === cust; k++) {
      const asOf = piece.asOf[k]!;
      for (; r < end; r++) {
        const e = c.byCustomer[r]!;
        if (c.t[e]! > asOf) break;
        features.applyInputs(state, TYPES[c.type[e]!]!, c.t[e]!, c.seq[e]!, c.mask[e]!, c.inputs, c.inputStart[e]!, c.keys);
      }
      features.read(state, asOf, values, k * F, market?.stateAt(asOf));
    }
  }
  return values;
}

/**
 * The pairs in (customer, as-of, index) order, cut into about `pieces` pieces of similar
 * work (a customer's rows in the snapshot plus its pairs), never splitting a customer.
 * `order[k]` is the pair of the k-th row over all pieces.
 */
export function cutPieces(c: MatrixColumns, custOf: Int32Array, asOfs: Float64Array, pieces: number): { order: Uint32Array; pieces: MatrixPiece[] } {
  const n = custOf.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => custOf[a]! - custOf[b]! || asOfs[a]! - asOfs[b]! || a - b);
  const work = (cust: number) => (cust < 0 ? 0 : c.custStart[cust + 1]! - c.custStart[cust]!);
  let total = n;
  for (let k = 0; k < n; k++) if (k === 0 || custOf[order[k]!] !== custOf[order[k - 1]!]) total += work(custOf[order[k]!]!);
  const target = total / Math.max(1, pieces);
  const out: MatrixPiece[] = [];
  let from = 0;
  let done = 0;
  const cut = (to: number) => {
    if (to === from) return;
    const cust = new Int32Array(to - from);
    const asOf = new Float64Array(to - from);
    for (let k = from; k < to; k++) {
      cust[k - from] = custOf[order[k]!]!;
      asOf[k - from] = asOfs[order[k]!]!;
    }
    out.push({ cust, asOf });
    from = to;
    done = 0;
  };
  for (let k = 0; k < n; k++) {
    const cust = custOf[order[k]!]!;
    if (k > 0 && cust !== custOf[order[k - 1]!] && done >= target) cut(k);
    if (k === from || cust !== custOf[order[k - 1]!]) done += work(cust);
    done++;
  }
  cut(n);
  return { order, pieces: out };
}
