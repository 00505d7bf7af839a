/**
 * Drift checks for a registered model: the training window's feature and score
 * distributions are stored with the model; a check compares recent rows against them
 * (PSI and KS per feature and for the score) and, where outcomes are known, compares
 * calibration now with calibration at training. The result says what drifted and why.
 */
import { calibrationCurve, type CalibrationCurve } from './calibration.js';
import { distributionReference, ksAgainst, psiAgainst, type DistributionReference } from './drift.js';

/** What is stored with a model to check drift against later. */
export interface DriftReference {
  features: Record<string, DistributionReference>;
  score: DistributionReference;
  /** Calibration on the held-out slice at training time. */
  calibration: { ece: number; meanPredicted: number; observedRate: number } | null;
}

/** Thresholds: PSI > 0.25 is the industry's "major shift"; KS p-values are tiny on big samples, so KS also needs a size. */
export interface DriftThresholds {
  psi: number;
  ksStatistic: number;
  ksPValue: number;
  /** Alert when ECE now exceeds ECE at training by more than this. */
  eceIncrease: number;
  /** Alert when observed/expected leaves [1/r, r]. */
  observedOverExpected: number;
  /**
   * Alert on features alone only when more than this share of them drifted: some features
   * move with the calendar by design (tenure, days since …), so one drifting feature is a
   * reason to look, not an alert.
   */
  featureShare: number;
}

export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = { psi: 0.25, ksStatistic: 0.2, ksPValue: 0.01, eceIncrease: 0.05, observedOverExpected: 1.5, featureShare: 0.25 };

export interface ColumnDrift {
  name: string;
  psi: number;
  ksStatistic: number;
  ksPValue: number;
  drifted: boolean;
}

export interface CalibrationDrift {
  rows: number;
  eceNow: number;
  eceAtTraining: number | null;
  meanPredicted: number;
  observedRate: number;
  observedOverExpected: number;
  drifted: boolean;
  curve: CalibrationCurve;
}

/** The outcome of one drift check of one model. */
export interface DriftReport {
  modelId: string;
  checkedAt: string;
  rows: number;
  window: { from: string; to: string };
  score: ColumnDrift;
  features: ColumnDrift[];
  calibration: CalibrationDrift | null;
  drifted: boolean;
  /** Plain-language reasons, most severe first. */
  reasons: string[];
}

/** Builds the reference from the training rows (row-major matrix) and their scores. */
export function buildDriftReference(names: readonly string[], values: Float64Array, scores: ArrayLike<number>, heldOut?: { probs: ArrayLike<number>; outcomes: ArrayLike<number> }): DriftReference {
  const F = names.length;
  const n = scores.length;
  const features: Record<string, DistributionReference> = {};
  const col = new Float64Array(n);
  for (let j = 0; j < F; j++) {
    for (let i = 0; i < n; i++) col[i] = values[i * F + j]!;
    features[names[j]!] = round(distributionReference(col));
  }
  let calibration: DriftReference['calibration'] = null;
  if (heldOut && heldOut.probs.length > 0) {
    const c = calibrationCurve(heldOut.probs, heldOut.outcomes, 10, 'quantile');
    calibration = { ece: c.ece, meanPredicted: c.meanPredicted, observedRate: c.observedRate };
  }
  return { features, score: round(distributionReference(scores)), calibration };
}

/**
 * Rounds the stored shares to 6 significant digits to keep the reference small. Edges and
 * quantiles stay exact: a rounded quantile differs from the very value it summarises, and a
 * constant score would then show a KS statistic of 1 against itself.
 */
function round(r: DistributionReference): DistributionReference {
  return { ...r, shares: r.shares.map((x) => Number(x.toPrecision(6))) };
}

function columnDrift(name: string, ref: DistributionReference, current: ArrayLike<number>, t: DriftThresholds): ColumnDrift {
  const psi = psiAgainst(ref, current).psi;
  const ks = ksAgainst(ref, current);
  const drifted = psi > t.psi || (ks.statistic > t.ksStatistic && ks.pValue < t.ksPValue);
  return { name, psi, ksStatistic: ks.statistic, ksPValue: ks.pValue, drifted };
}

/**
 * Compares recent rows (row-major, columns in `names` order) and their scores with the
 * reference; `outcomes` (0/1 per row, NaN when not yet known) enables the calibration check.
 */
export function checkDrift(
  input: { modelId: string; checkedAt: string; window: { from: string; to: string }; names: readonly string[]; values: Float64Array; scores: ArrayLike<number>; outcomes?: ArrayLike<number> },
  ref: DriftReference,
  t: DriftThresholds = DEFAULT_DRIFT_THRESHOLDS,
): DriftReport {
  const F = input.names.length;
  const n = input.scores.length;
  const features: ColumnDrift[] = [];
  const col = new Float64Array(n);
  for (let j = 0; j < F; j++) {
    const r = ref.features[input.names[j]!];
    if (!r) continue;
    for (let i = 0; i < n; i++) col[i] = input.values[i * F + j]!;
    features.push(columnDrift(input.names[j]!, r, col, t));
  }
  features.sort((a, b) => b.psi - a.psi);
  const score = columnDrift('score', ref.score, input.scores, t);
  let calibration: CalibrationDrift | null = null;
  if (input.outcomes) {
    const p: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(input.outcomes[i]!)) continue;
      p.push(input.scores[i]!);
      y.push(input.outcomes[i]!);
    }
    if (p.length > 0) {
      const curve = calibrationCurve(p, y, 10, 'quantile');
      const oe = curve.meanPredicted > 0 ? curve.observedRate / curve.meanPredicted : Number.NaN;
      const eceAtTraining = ref.calibration?.ece ?? null;
      const drifted = (eceAtTraining !== null && curve.ece - eceAtTraining > t.eceIncrease) || oe > t.observedOverExpected || oe < 1 / t.observedOverExpected;
      calibration = { rows: p.length, eceNow: curve.ece, eceAtTraining, meanPredicted: curve.meanPredicted, observedRate: curve.observedRate, observedOverExpected: oe, drifted, curve };
    }
  }
  const reasons: string[] = [];
  if (score.drifted) reasons.push(`score distribution shifted (PSI ${score.psi.toFixed(3)}, KS ${score.ksStatistic.toFixed(3)})`);
  if (calibration?.drifted) reasons.push(`calibration drifted: observed ${(calibration.observedRate * 100).toFixed(2)}% vs predicted ${(calibration.meanPredicted * 100).toFixed(2)}%, ECE ${calibration.eceNow.toFixed(3)} (at training ${calibration.eceAtTraining?.toFixed(3) ?? 'n/a'})`);
  for (const f of features.filter((x) => x.drifted).slice(0, 5)) reasons.push(`feature ${f.name} shifted (PSI ${f.psi.toFixed(3)}, KS ${f.ksStatistic.toFixed(3)})`);
  const driftedFeatures = features.filter((f) => f.drifted).length;
  const broad = features.length > 0 && driftedFeatures / features.length > t.featureShare;
  if (broad) reasons.unshift(`${driftedFeatures} of ${features.length} features shifted`);
  const drifted = score.drifted || (calibration?.drifted ?? false) || broad;
  return { modelId: input.modelId, checkedAt: input.checkedAt, rows: n, window: input.window, score, features, calibration, drifted, reasons };
}
