/**
 * Where training jobs read their data: the log itself (`logSource`, a scan per question, the
 * way every job used to read it) or the columnar snapshot (`snapshotSource`, snapshot.ts).
 * Both answer the same questions with the same rows in the same order, so a model trained
 * from either is the same model (test/training/snapshot.test.ts).
 */
import type { FeatureSet } from '../features/featureSet.js';
import { buildFeatureMatrix, type AsOfPair } from '../features/offline.js';
import type { EventLog } from '../store/eventLog.js';
import { DAY_MS, horizonRowsFrom, horizonScan, labelRows, responseRowsFrom, responseScan, type LabelDef, type LabelRow, type LabelWindow } from './labels.js';
import { CLOSURE_BIT, isClosure, labelBits, type TrainingSnapshot } from './snapshot.js';
import { customersSeen } from './families/population.js';
import type { MatrixBuilding } from './boostPool.js';
import { buildPiece, cutPieces, type MatrixSource } from './matrix.js';

/** Card payments as (customer, day, value in pounds) columns, in log order. */
export interface SpendRows {
  customerId: string[];
  day: number[];
  value: number[];
}

/** The questions training jobs ask of the data. */
export interface TrainingSource {
  readonly kind: 'log' | 'snapshot';
  /** Label rows of a definition (labels.ts). */
  labelRows(def: LabelDef, w: LabelWindow): Promise<LabelRow[]>;
  /** Point-in-time feature rows of the pairs, row-major in the feature set's columns (features/offline.ts). */
  featureMatrix(pairs: readonly AsOfPair[], onProgress?: (done: number) => void): Promise<Float64Array>;
  /** Customers with any event at or before `asOf`, in first-seen order. */
  customersSeen(asOf: number): Promise<string[]>;
  /** Each customer's first close_account contact before `toT`. */
  closures(toT: number): Promise<Map<string, number>>;
  /** Card payments in [fromT, toT). */
  cardPayments(fromT: number, toT: number): Promise<SpendRows>;
}

const spendValue = (minor: number) => Math.abs(minor) / 100;

/** The old way: every question is a scan of the log (which may be a consent-filtered view). */
export function logSource(log: EventLog, features: FeatureSet): TrainingSource {
  return {
    kind: 'log',
    labelRows: (def, w) => labelRows(log, def, w),
    async featureMatrix(pairs, onProgress) {
      return (await buildFeatureMatrix(log, features, pairs, onProgress ? { onProgress: (scanned) => onProgress(scanned) } : {})).values;
    },
    customersSeen: (asOf) => customersSeen({ log }, asOf),
    async closures(toT) {
      const closedAt = new Map<string, number>();
      for await (const page of log.scan({ toT, types: ['contact_centre'], batchSize: 20_000 })) for (const e of page) if (isClosure(e) && !closedAt.has(e.event.customerId)) closedAt.set(e.event.customerId, e.t);
      return closedAt;
    },
    async cardPayments(fromT, toT) {
      const rows: SpendRows = { customerId: [], day: [], value: [] };
      for await (const page of log.scan({ fromT, toT, types: ['card_payment'], batchSize: 20_000 })) {
        for (const e of page) {
          rows.customerId.push(e.event.customerId);
          rows.day.push(Math.floor(e.t / DAY_MS));
          rows.value.push(spendValue((e.event as { payload: { amount: { minor: number } } }).payload.amount.minor));
        }
      }
      return rows;
    },
  };
}

/**
 * The snapshot's answers, without the `excluded` customers (consent), as the log view without
 * them would give. Labels the snapshot does not keep are read from `log` (the same view).
 * Feature matrices are built in pieces of whole customers, on `building`'s threads when given
 * (worker threads and this one), else here: the same numbers either way (matrix.ts).
 */
export function snapshotSource(s: TrainingSnapshot, excluded: ReadonlySet<string>, log: EventLog, building?: MatrixBuilding): TrainingSource {
  const c = s.cols;
  let matrixSource: MatrixSource | undefined;
  const ids = s.meta.customers;
  const out = new Uint8Array(ids.length);
  ids.forEach((id, i) => (out[i] = excluded.has(id) ? 1 : 0));
  const features = s.features;
  return {
    kind: 'snapshot',
    async labelRows(def, w) {
      const bits = labelBits(def);
      if (!bits) return labelRows(log, def, w);
      if (def.kind === 'response') {
        const { fromT, toT } = responseScan(def, w);
        const lo = s.lowerBound(fromT);
        const hi = s.lowerBound(toT);
        const strings = s.meta.strings;
        return responseRowsFrom(def, w, async (visit) => {
          // The resp columns are in row order: find the range by binary search on the row.
          const rows = c.respRow;
          let a = 0;
          let b = rows.length;
          while (a < b) {
            const m = (a + b) >>> 1;
            if (rows[m]! < lo) a = m + 1;
            else b = m;
          }
          for (let k = a; k < rows.length && rows[k]! < hi; k++) {
            const i = rows[k]!;
            const cust = c.cust[i]!;
            if (out[cust]) continue;
            const f = c.flags[i]!;
            visit({ customerId: ids[cust]!, t: c.t[i]!, exposure: (f & bits.a) !== 0, outcome: (f & bits.b) !== 0, action: strings[c.respAction[k]!]!, channel: strings[c.respChannel[k]!]! });
          }
        });
      }
      const { fromT, toT } = horizonScan(w);
      const lo = s.lowerBound(fromT);
      const hi = s.lowerBound(toT);
      return horizonRowsFrom(def, w, async (visit) => {
        for (let i = lo; i < hi; i++) {
          const cust = c.cust[i]!;
          if (out[cust] || cust === s.globalIndex) continue;
          const f = c.flags[i]!;
          visit(ids[cust]!, c.t[i]!, (f & bits.a) !== 0, (f & bits.b) !== 0);
        }
      });
    },
    async featureMatrix(pairs, onProgress) {
      const F = features.size;
      const values = new Float64Array(pairs.length * F);
      const custOf = Int32Array.from(pairs, (p) => {
        const i = s.customerIndex.get(p.customerId);
        return i === undefined || out[i] || i === s.globalIndex ? -1 : i;
      });
      const columns = s.matrixColumns(building !== undefined);
      // Pieces of whole customers, a few per thread: a piece waits on whichever thread is free.
      const { order, pieces } = cutPieces(columns, custOf, Float64Array.from(pairs, (p) => p.asOf), 4 * (building?.threads ?? 1));
      const source = (matrixSource ??= { columns, definitions: features.info.map((f) => f.definition), version: features.version });
      const tasks = building ? pieces.map((p) => building.matrix(source, features, p)) : undefined;
      let k = 0;
      for (const [j, piece] of pieces.entries()) {
        // In order: a waiting caller builds queued pieces from the tail meanwhile (boostPool.ts).
        const rows = tasks ? await tasks[j]!.result() : buildPiece(columns, features, piece);
        for (let q = 0; q < piece.cust.length; q++, k++) values.set(rows.subarray(q * F, (q + 1) * F), order[k]! * F);
        onProgress?.(k);
      }
      return values;
    },
    async customersSeen(asOf) {
      const hi = s.lowerBound(asOf + 1);
      const seen: { cust: number; first: number }[] = [];
      for (let cust = 0; cust < ids.length; cust++) {
        const f = s.firstRow[cust]!;
        if (f < hi && !out[cust] && cust !== s.globalIndex) seen.push({ cust, first: f });
      }
      return seen.sort((a, b) => a.first - b.first).map((x) => ids[x.cust]!);
    },
    async closures(toT) {
      const hi = s.lowerBound(toT);
      const closedAt = new Map<string, number>();
      for (let i = 0; i < hi; i++) {
        if ((c.flags[i]! & CLOSURE_BIT) === 0) continue;
        const cust = c.cust[i]!;
        if (out[cust]) continue;
        const id = ids[cust]!;
        if (!closedAt.has(id)) closedAt.set(id, c.t[i]!);
      }
      return closedAt;
    },
    async cardPayments(fromT, toT) {
      const lo = s.lowerBound(fromT);
      const hi = s.lowerBound(toT);
      const rows: SpendRows = { customerId: [], day: [], value: [] };
      const cr = c.cardRow;
      for (let k = 0; k < cr.length; k++) {
        const i = cr[k]!;
        if (i < lo) continue;
        if (i >= hi) break;
        const cust = c.cust[i]!;
        if (out[cust]) continue;
        rows.customerId.push(ids[cust]!);
        rows.day.push(Math.floor(c.t[i]! / DAY_MS));
        rows.value.push(spendValue(c.cardMinor[k]!));
      }
      return rows;
    },
  };
}
