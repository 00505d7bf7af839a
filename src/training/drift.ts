/**
 * Drift checks of registered models on recent data: recent rows are built exactly as the
 * training rows were (same labels, same point-in-time features), scored with the model,
 * and compared with the distributions stored at training (PSI, KS, calibration where the
 * outcomes are already known). Also: how two models compare on the same recent rows,
 * which is how a retrained candidate shows it beats a stale champion.
 */
import { auc, logLoss } from '../models/metrics/classification.js';
import { checkDrift, type DriftReference, type DriftReport, type DriftThresholds } from '../models/metrics/driftCheck.js';
import { loadModel, predictBatch } from '../models/gbdt/index.js';
import type { FeatureSet } from '../features/featureSet.js';
import type { EventLog } from '../store/eventLog.js';
import type { ModelRecord, ModelRegistry } from '../store/modelRegistry.js';
import { iso } from './context.js';
import { buildDataset, takeRows, type Dataset } from './dataset.js';
import { driftLabelOf, type DriftLabel } from './families/index.js';
import { labelRows } from './labels.js';

/** The label a model of this name was trained on, and the rows of it that belong to the model (its family says). */
export function labelOfModel(name: string): DriftLabel | undefined {
  return driftLabelOf(name);
}

/** Recent labelled (or not yet labelled) rows of a model's label, with features. */
export async function recentRows(log: EventLog, features: FeatureSet, name: string, from: number, to: number): Promise<Dataset | undefined> {
  const spec = labelOfModel(name);
  if (!spec) return undefined;
  const all = await labelRows(log, spec.def, { from, to, observedUntil: to, keepUnobserved: true });
  const rows = spec.action === undefined ? all : all.filter((r) => r.action === spec.action);
  return buildDataset(log, features, rows);
}

/** Scores of a GBDT record on dataset rows (columns matched by name). */
export function scoreRows(record: ModelRecord, ds: Dataset, idx?: readonly number[]): Float64Array {
  const model = loadModel(record.artefact);
  const W = ds.names.length;
  const rows = idx ?? ds.rows.map((_, i) => i);
  const cols = model.featureNames.map((n) => ds.names.indexOf(n));
  const x = new Float64Array(rows.length * cols.length);
  const src = takeRows(ds.values, W, rows);
  for (let r = 0; r < rows.length; r++) for (let j = 0; j < cols.length; j++) x[r * cols.length + j] = cols[j]! < 0 ? Number.NaN : src[r * W + cols[j]!]!;
  return predictBatch(model, { nRows: rows.length, nFeatures: cols.length, values: x });
}

/** Checks one GBDT model for drift over [from, to); undefined for models without a drift reference or label. */
export async function checkModelDrift(
  deps: { log: EventLog; features: FeatureSet; registry: ModelRegistry },
  modelId: string,
  from: number,
  to: number,
  checkedAt: string,
  thresholds?: DriftThresholds,
): Promise<DriftReport | undefined> {
  const record = await deps.registry.get(modelId);
  if (!record || record.kind !== 'gbdt' || !record.driftReference) return undefined;
  const ds = await recentRows(deps.log, deps.features, record.name, from, to);
  if (!ds || ds.rows.length === 0) return undefined;
  const scores = scoreRows(record, ds);
  const model = loadModel(record.artefact);
  const cols = model.featureNames.map((n) => ds.names.indexOf(n));
  const W = ds.names.length;
  const values = new Float64Array(ds.rows.length * cols.length);
  for (let i = 0; i < ds.rows.length; i++) for (let j = 0; j < cols.length; j++) values[i * cols.length + j] = cols[j]! < 0 ? Number.NaN : ds.values[i * W + cols[j]!]!;
  return checkDrift(
    { modelId, checkedAt, window: { from: iso(from), to: iso(to) }, names: model.featureNames, values, scores, outcomes: ds.rows.map((r) => r.label) },
    record.driftReference as DriftReference,
    thresholds,
  );
}

/** How models compare on the same labelled rows: AUC and log loss each. */
export function compareOnRows(records: readonly ModelRecord[], ds: Dataset): { rows: number; positives: number; models: { id: string; auc: number; logLoss: number }[] } {
  const idx = ds.rows.flatMap((r, i) => (Number.isNaN(r.label) ? [] : [i]));
  const y = idx.map((i) => ds.rows[i]!.label);
  return {
    rows: idx.length,
    positives: y.reduce((s, v) => s + v, 0),
    models: records.map((r) => {
      const p = scoreRows(r, ds, idx);
      return { id: r.id, auc: auc(p, y), logLoss: logLoss(p, y) };
    }),
  };
}
