/**
 * Registering a federated model in a bank's own registry, like any other model version:
 * kind `gbdt` under the family's propensity name (so the propensity family serves it in
 * decisions once promoted), metrics from the bank's own test rows, a drift reference from
 * its own training rows, and a card whose `federation` section says who took part, how
 * many rows each held, how many rounds, and the privacy settings.
 */
import { buildModelCard } from '../training/card.js';
import { aucInterval } from '../training/aucInterval.js';
import { binaryReport, rounded } from '../training/report.js';
import { buildDriftReference } from '../models/metrics/driftCheck.js';
import { loadModel, predictBatch } from '../models/gbdt/index.js';
import type { NewModel, ModelRecord, TrainingWindow } from '../store/modelRegistry.js';
import type { LocalData, RegisterModel } from './participant.js';

/** Where and as what the bank registers the model. */
export interface BankRegistration {
  /** Registry name, e.g. `propensity_savings`. */
  name: string;
  /** The bank's `registry.register` (or `engine.models.register`). */
  register: (m: NewModel) => Promise<ModelRecord>;
  window: TrainingWindow;
  /** Hash of the feature definitions the rows were built with (serving skips models of other definitions). */
  definitionsHash: string;
  /** Registration time (ISO, from the bank's clock). */
  createdAt: () => string;
}

/** The participant's `register` hook for a bank: scores its own rows and registers a candidate. */
export function registerInBank(data: LocalData, r: BankRegistration): RegisterModel {
  return async (artefact, sent) => {
    const model = loadModel(artefact);
    const pTr = predictBatch(model, data.train);
    const yTe = data.test?.label ?? new Float64Array(0);
    const pTe = data.test ? predictBatch(model, data.test.features) : new Float64Array(0);
    let pos = 0;
    for (const y of data.trainLabel) pos += y;
    const report = rounded(binaryReport(pTe, yTe, pos / Math.max(1, data.trainLabel.length)));
    const lower = aucInterval(pTe, yTe).lower;
    const aucLower95 = Number.isFinite(lower) ? Number(lower.toPrecision(6)) : null;
    const federation = (sent.federation ?? {}) as Record<string, unknown>;
    const metrics = { auc: report.auc, aucLower95, logLoss: report.logLoss, logLossBaseline: report.logLossBaseline, liftTopDecile: report.liftTopDecile, ece: report.ece, testRows: report.rows, testPositives: report.positives, trainRows: data.train.nRows, rounds: model.trees.length, federated: 1 };
    const card = buildModelCard({
      title: `${String(sent.title ?? `Federated propensity model ${r.name}`)}`,
      intendedUse: String(sent.intendedUse ?? 'Ranks this bank\'s customers by the probability of taking up an offer; trained across several banks without sharing rows.'),
      outOfScope: String(sent.outOfScope ?? 'Not a credit, affordability or suitability assessment. Not for customers outside the populations of the participating banks.'),
      window: r.window,
      rows: data.train.nRows + (data.test?.features.nRows ?? 0),
      positives: pos + report.positives,
      label: data.label,
      split: 'time-based at this bank: the earlier 80% of its offers trained (with the other banks\' rows, federated), the latest 20% tested here; no early stopping',
      definitionsHash: r.definitionsHash,
      features: data.featureNames,
      metrics: { auc: report.auc, aucLower95, logLoss: report.logLoss, liftTopDecile: report.liftTopDecile, ece: report.ece },
      limitations: [
        'Trained on the pooled histograms of several banks: it fits their customers on average, and this bank\'s own test AUC is the number to judge it by here.',
        'Learned only from offers the banks chose to show (selection bias of the policies that ran).',
        'Bin edges came from the participants\' quantile summaries (approximate quantiles of each feature, the one disclosure besides masked sums).',
      ],
    });
    const record = await r.register({
      name: r.name,
      kind: 'gbdt',
      trainingWindow: r.window,
      features: data.featureNames,
      definitionsHash: r.definitionsHash,
      params: { ...(model.params ?? {}), bestIteration: model.bestIteration },
      metrics: { ...metrics, calibration: report.calibration },
      card: { ...card, federation },
      artefact,
      driftReference: buildDriftReference(data.featureNames, data.train.values, pTr, { probs: pTe, outcomes: yTe }),
      createdAt: r.createdAt(),
    });
    return record.id;
  };
}
