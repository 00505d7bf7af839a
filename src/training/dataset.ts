/**
 * Training datasets: label rows joined to point-in-time features (the feature store's
 * offline path, the same compiled definitions as serving), split by time into
 * train / validation / test.
 */
import { ValidationError } from '../core/errors.js';
import type { FeatureSet } from '../features/featureSet.js';
import { buildFeatureMatrix } from '../features/offline.js';
import type { EventLog } from '../store/eventLog.js';
import { DAY_MS, type LabelRow } from './labels.js';
import type { TrainingSource } from './source.js';

/** Labelled rows with their feature matrix (row-major, `names` columns). */
export interface Dataset {
  rows: LabelRow[];
  names: string[];
  values: Float64Array;
}

/**
 * Joins label rows to point-in-time features. Only the feature set's own features are
 * used, the same ones a served profile carries, so a model never sees at training a
 * column that serving cannot fill.
 */
export async function buildDataset(log: EventLog, features: FeatureSet, rows: LabelRow[], onProgress?: (eventsScanned: number, rowsBuilt: number) => void): Promise<Dataset> {
  const m = await buildFeatureMatrix(log, features, rows.map((r) => ({ customerId: r.customerId, asOf: r.asOf })), onProgress ? { onProgress } : {});
  return { rows, names: [...features.names], values: m.values };
}

/** `buildDataset` from a training source (the snapshot or the log). */
export async function buildDatasetFrom(source: TrainingSource, features: FeatureSet, rows: LabelRow[], onProgress?: (done: number) => void): Promise<Dataset> {
  const values = await source.featureMatrix(rows.map((r) => ({ customerId: r.customerId, asOf: r.asOf })), onProgress);
  return { rows, names: [...features.names], values };
}

/** Row indices of a time-based split. */
export interface TimeSplit {
  train: number[];
  validation: number[];
  test: number[];
  /** As-of boundaries (epoch ms): train < validationFrom <= validation < testFrom <= test. */
  validationFrom: number;
  testFrom: number;
}

/**
 * Splits by as-of time: the earliest `trainShare` of the window trains, the next slice
 * validates (early stopping), the latest tests. Rows within `purgeDays` before the next
 * slice are dropped (a purge gap, at most a quarter of the validation slice), so their
 * outcomes do not overlap the next slice's rows.
 */
export function timeSplit(rows: readonly LabelRow[], purgeDays: number, shares = { train: 0.6, validation: 0.2 }): TimeSplit {
  if (rows.length === 0) throw new ValidationError([{ field: 'rows', rule: 'non_empty', message: 'no labelled rows in the training window' }]);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    lo = Math.min(lo, r.asOf);
    hi = Math.max(hi, r.asOf);
  }
  const span = hi - lo;
  const validationFrom = lo + span * shares.train;
  const testFrom = lo + span * (shares.train + shares.validation);
  // On short logs a full-horizon gap would empty the validation slice: the gap is capped at a quarter of it.
  const H = Math.min(purgeDays * DAY_MS, (testFrom - validationFrom) / 4);
  const split: TimeSplit = { train: [], validation: [], test: [], validationFrom, testFrom };
  rows.forEach((r, i) => {
    if (r.asOf < validationFrom) {
      if (r.asOf + H < validationFrom) split.train.push(i);
    } else if (r.asOf < testFrom) {
      if (r.asOf + H < testFrom) split.validation.push(i);
    } else split.test.push(i);
  });
  return split;
}

/** The rows of a matrix at the given indices. */
export function takeRows(values: Float64Array, width: number, idx: readonly number[]): Float64Array {
  const out = new Float64Array(idx.length * width);
  idx.forEach((r, k) => out.set(values.subarray(r * width, (r + 1) * width), k * width));
  return out;
}
