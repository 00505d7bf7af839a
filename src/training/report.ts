/**
 * The training report: how a model does on the held-out (latest) time slice.
 */
import { auc, logLoss } from '../models/metrics/classification.js';
import { calibrationCurve, liftAtTop, type CalibrationBin } from '../models/metrics/calibration.js';

/** Metrics of a binary model on the test slice. */
export interface BinaryReport {
  rows: number;
  positives: number;
  baseRate: number;
  auc: number;
  logLoss: number;
  /** Log loss of always predicting the training base rate: the model must beat it. */
  logLossBaseline: number;
  liftTopDecile: number;
  ece: number;
  calibration: CalibrationBin[];
}

/** AUC, log loss, lift in the top decile and the calibration curve (10 quantile bins). */
export function binaryReport(probs: ArrayLike<number>, labels: ArrayLike<number>, trainBaseRate: number): BinaryReport {
  const n = labels.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i]!;
  const c = calibrationCurve(probs, labels, 10, 'quantile');
  return {
    rows: n,
    positives: pos,
    baseRate: n > 0 ? pos / n : Number.NaN,
    auc: auc(probs, labels),
    logLoss: logLoss(probs, labels),
    logLossBaseline: logLoss(new Float64Array(n).fill(trainBaseRate), labels),
    liftTopDecile: liftAtTop(probs, labels, 0.1),
    ece: c.ece,
    calibration: c.bins,
  };
}

/** Rounds every number in a report for storage and display (6 significant digits). */
export function rounded<T>(x: T): T {
  return JSON.parse(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' ? (Number.isFinite(v) ? Number(v.toPrecision(6)) : null) : v))) as T;
}
