import { GLOBAL_CUSTOMER } from '../core/events.js';
import type { EventLog } from '../store/eventLog.js';
import type { CustomerFeatureState, FeatureSet } from './featureSet.js';

/** One row to build: a customer and the as-of time (epoch ms) of its features. */
export interface AsOfPair {
  customerId: string;
  asOf: number;
}

/** A feature matrix for training: row i is pairs[i], row-major, NaN for "no value". */
export interface FeatureMatrix {
  names: string[];
  pairs: AsOfPair[];
  values: Float64Array;
}

export interface BuildOptions {
  /** Events per page of the log scan: memory is bounded by this, not by the log. */
  batchSize?: number;
  /** Called after each page with events scanned and rows built so far; awaited, so a writer can apply backpressure. */
  onProgress?: (eventsScanned: number, rowsBuilt: number) => void | Promise<void>;
}

/**
 * Point-in-time feature rows, one pass over the log in event-time order. A row (c, t)
 * is read from c's state just before the first event later than t is applied, so an
 * event after t never counts (no leakage) and one at t always does. The state code is
 * the online store's; market-scope features read one market state that follows the same
 * scan, so they are joined by time the same way. Memory holds only the states of customers with rows still to
 * build; rows are handed to `onRow` in as-of order, never all held at once.
 */
export async function streamFeatureRows(
  log: EventLog,
  features: FeatureSet,
  pairs: readonly AsOfPair[],
  onRow: (index: number, values: Float64Array) => void,
  options: BuildOptions = {},
): Promise<{ eventsScanned: number; rows: number }> {
  const order = Array.from(pairs.keys()).sort((a, b) => pairs[a]!.asOf - pairs[b]!.asOf || a - b);
  const pending = new Map<string, number>();
  for (const p of pairs) pending.set(p.customerId, (pending.get(p.customerId) ?? 0) + 1);
  const states = new Map<string, CustomerFeatureState>();
  const row = new Float64Array(features.size);
  const empty = features.newState();
  // The market state moves with the scan: a row is read before any market event after its time.
  const market = features.market?.newState();
  let next = 0;
  let scanned = 0;

  const emitUpTo = (t: number) => {
    while (next < order.length && pairs[order[next]!]!.asOf < t) {
      const i = order[next++]!;
      const p = pairs[i]!;
      features.read(states.get(p.customerId) ?? empty, p.asOf, row, 0, market);
      onRow(i, row);
      const left = pending.get(p.customerId)! - 1;
      pending.set(p.customerId, left);
      // A customer with no rows left needs no state: drop it to bound memory.
      if (left === 0) states.delete(p.customerId);
    }
  };

  if (order.length > 0) {
    const maxAsOf = pairs[order[order.length - 1]!]!.asOf;
    for await (const page of log.scan({ toT: maxAsOf + 1, types: features.eventTypes, batchSize: options.batchSize ?? 20_000 })) {
      for (const e of page) {
        emitUpTo(e.t);
        const id = e.event.customerId;
        if (id === GLOBAL_CUSTOMER) {
          if (market) features.market!.apply(market, e);
          continue;
        }
        if (!pending.get(id)) continue;
        let s = states.get(id);
        if (!s) states.set(id, (s = features.newState()));
        features.apply(s, e);
      }
      scanned += page.length;
      await options.onProgress?.(scanned, next);
    }
  }
  emitUpTo(Number.POSITIVE_INFINITY);
  await options.onProgress?.(scanned, next);
  return { eventsScanned: scanned, rows: next };
}

/** The feature matrix for a list of (customer, as-of) pairs, rows in the order given. */
export async function buildFeatureMatrix(log: EventLog, features: FeatureSet, pairs: readonly AsOfPair[], options: BuildOptions = {}): Promise<FeatureMatrix> {
  const F = features.size;
  const values = new Float64Array(pairs.length * F);
  await streamFeatureRows(log, features, pairs, (i, row) => values.set(row, i * F), options);
  return { names: [...features.names], pairs: [...pairs], values };
}

/** Formats a value for CSV: empty for missing, shortest round-trip text otherwise. */
export function csvValue(v: number): string {
  return Number.isNaN(v) ? '' : String(v);
}

/** The CSV header of a feature file: customer_id, as_of, then one column per feature. */
export function csvHeader(features: FeatureSet): string {
  return ['customer_id', 'as_of', ...features.names].join(',');
}

/** One CSV line of a feature row. */
export function csvRow(pair: AsOfPair, row: Float64Array): string {
  let s = `${pair.customerId},${new Date(pair.asOf).toISOString()}`;
  for (let j = 0; j < row.length; j++) s += `,${csvValue(row[j]!)}`;
  return s;
}

/** A whole matrix as CSV text (for inspection; large builds stream with csvRow). */
export function matrixToCsv(features: FeatureSet, m: FeatureMatrix): string {
  const F = features.size;
  const lines = [csvHeader(features)];
  m.pairs.forEach((p, i) => lines.push(csvRow(p, m.values.subarray(i * F, (i + 1) * F))));
  return `${lines.join('\n')}\n`;
}
