/**
 * A bank's side of a federated propensity model, read from its own event log: one row per
 * offer of the action family shown in the window, labelled by take-up within 14 days,
 * joined to point-in-time profile features (the offline path of the same feature
 * definitions serving uses), split by time. The earlier 80% trains (there is no early
 * stopping in a federation, so no validation slice), the latest 20% is the bank's own test set.
 */
import { ValidationError } from '../core/errors.js';
import type { FeatureSet } from '../features/featureSet.js';
import type { EventLog } from '../store/eventLog.js';
import { buildDataset, takeRows, timeSplit } from '../training/dataset.js';
import { OFFER_ACCEPTANCE } from '../training/definitions.js';
import { labelRows, type LabelWindow } from '../training/labels.js';
import type { LocalData } from './participant.js';

/** The bank's labelled rows for the propensity of one action family (e.g. `savings`). */
export async function propensityData(log: EventLog, features: FeatureSet, window: LabelWindow, family: string): Promise<LocalData & { testFrom: number }> {
  const all = await labelRows(log, OFFER_ACCEPTANCE, window);
  const rows = all.filter((r) => r.action === family);
  if (rows.length === 0) throw new ValidationError([{ field: 'family', rule: 'has_rows', message: `no ${family} offers were shown in the window` }]);
  const ds = await buildDataset(log, features, rows);
  const split = timeSplit(ds.rows, OFFER_ACCEPTANCE.withinDays, { train: 0.8, validation: 0 });
  const W = ds.names.length;
  const train = [...split.train, ...split.validation];
  const test = split.test;
  return {
    featureNames: ds.names,
    label: OFFER_ACCEPTANCE.description,
    train: { nRows: train.length, nFeatures: W, values: takeRows(ds.values, W, train) },
    trainLabel: Float64Array.from(train, (i) => ds.rows[i]!.label),
    test: { features: { nRows: test.length, nFeatures: W, values: takeRows(ds.values, W, test) }, label: Float64Array.from(test, (i) => ds.rows[i]!.label) },
    testFrom: split.testFrom,
  };
}

/** Offers shown and taken up per action family in the window (to pick a family every bank can learn). */
export async function takeUpsByFamily(log: EventLog, window: LabelWindow): Promise<Map<string, { shown: number; taken: number }>> {
  const out = new Map<string, { shown: number; taken: number }>();
  for (const r of await labelRows(log, OFFER_ACCEPTANCE, window)) {
    const c = out.get(r.action ?? '') ?? { shown: 0, taken: 0 };
    c.shown++;
    c.taken += r.label;
    out.set(r.action ?? '', c);
  }
  return out;
}
