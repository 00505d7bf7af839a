/**
 * Drift → retrain inside the twin's closed loop, as the model lifecycle does it for a
 * deployed engine: every `everyDays` the engine's own offers since each family's model was
 * served (within `windowDays`) are checked against what it predicted for them (calibration); a family whose
 * take-up has moved away from its predictions by more than chance allows is retrained on the
 * exploration run's rows plus the engine's own labelled offers of the last `windowDays`, and
 * the new model is served from the next decision. Nothing here reads the truth.
 */
import { GbdtScorer, type PropensityModel } from '../decisioning/index.js';
import { rowScorer, train, type GbdtModel } from '../models/gbdt/index.js';
import { ACTION_FAMILIES, type ActionFamily } from './offers.js';
import { TWIN_MODEL_FEATURES } from './twinProfile.js';

/** One offer with its features, the family's model's prediction, and (once heard) its outcome. */
export interface LabelledOffer {
  row: Float64Array;
  family: number;
  label: number;
  predicted?: number;
  day: number;
  /** The customer the offer went to (folds for calibration keep a customer's offers together). */
  group?: number;
  /** The customer's churn score when offered (retention offers: what the retention mixture learns from). */
  churn?: number;
}

/** What a check found for one family. */
export interface CalibrationCheck {
  family: ActionFamily;
  day: number;
  offers: number;
  observedRate: number;
  meanPredicted: number;
  z: number;
  retrained: boolean;
}

export interface RetrainOptions {
  everyDays: number;
  windowDays: number;
  /** |observed − predicted| in standard errors of the prediction that counts as drift. */
  zLimit: number;
  /** Offers a family needs in the check window before its calibration is judged. */
  minOffers: number;
  seed: number;
}

/**
 * Checked every 15 days, on the offers since each family's model was served: the engine's
 * models under-predict its own offers from the first day (default twin, seed 3: savings 0.21
 * predicted against 0.33 taken up in the first 15 days), and a 30-day check of the last 30
 * days left savings on the old model until day 60 (z 2.84 at day 30).
 */
export const DEFAULT_RETRAIN: Omit<RetrainOptions, 'seed'> = { everyDays: 15, windowDays: 60, zLimit: 3, minOffers: 50 };

/** Trains one family's propensity GBDT (the twin's parameters; see enginePolicy.ts), uncalibrated. */
function fitFamily(rows: readonly LabelledOffer[], o: { seed: number; rounds?: number; maxDepth?: number }): GbdtModel {
  const W = TWIN_MODEL_FEATURES.length;
  const values = new Float64Array(rows.length * W);
  rows.forEach((s, i) => values.set(s.row, i * W));
  const { model } = train(
    { features: { nRows: rows.length, nFeatures: W, values }, label: Float64Array.from(rows, (s) => s.label), featureNames: TWIN_MODEL_FEATURES },
    { rounds: o.rounds ?? 60, maxDepth: o.maxDepth ?? 3, learningRate: 0.1, seed: o.seed, lambda: 10, minChildWeight: 3 },
  );
  return model;
}

/**
 * Platt scaling on log-odds: the a, b that make sigmoid(a × margin + b) fit the labels best,
 * with a weak pull towards (1, 0) so a handful of positives cannot swing it. Newton steps on
 * the penalised log loss.
 */
export function plattFit(margins: ArrayLike<number>, labels: ArrayLike<number>, pull = 2): { a: number; b: number } {
  let a = 1;
  let b = 0;
  for (let it = 0; it < 50; it++) {
    let ga = pull * (a - 1);
    let gb = pull * b;
    let haa = pull;
    let hab = 0;
    let hbb = pull;
    for (let i = 0; i < margins.length; i++) {
      const m = margins[i]!;
      const p = 1 / (1 + Math.exp(-(a * m + b)));
      const r = p - labels[i]!;
      const w = Math.max(p * (1 - p), 1e-12);
      ga += r * m;
      gb += r;
      haa += w * m * m;
      hab += w * m;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}

/** The model whose margin is a × the model's + b: every leaf (and node) value scaled, the base shifted. */
export function scaleMargin(model: GbdtModel, a: number, b: number): GbdtModel {
  return {
    ...model,
    baseMargin: a * model.baseMargin + b,
    trees: model.trees.map((t) => ({ ...t, value: t.value.map((v) => a * v) })),
    params: { ...(model.params ?? {}), calibration: { method: 'platt', a, b } },
  };
}

/** The fold of an offer: by customer when known, so one customer's offers never sit on both sides. */
const foldOf = (s: LabelledOffer, i: number, k: number) => (s.group ?? i) % k;

/**
 * Trains one family's propensity GBDT and calibrates it. Regularised trees on a rare label
 * shrink towards the base rate, so the customers most likely to take an offer up are the
 * most under-predicted, and arbitration, which compares take-up × value across families,
 * under-values the families it should pick. The fix is measured, not assumed: models trained
 * on two halves of the customers score the other half, and Platt scaling of those
 * out-of-fold margins (a × margin + b) is applied to the model trained on all rows.
 */
export function trainFamily(rows: readonly LabelledOffer[], version: string, o: { seed: number; rounds?: number; maxDepth?: number; calibrate?: boolean }): PropensityModel {
  const model = fitFamily(rows, o);
  if (o.calibrate === false) return { version, model };
  const K = 2;
  const margins: number[] = [];
  const labels: number[] = [];
  for (let k = 0; k < K; k++) {
    const fit = rows.filter((s, i) => foldOf(s, i, K) !== k);
    const held = rows.filter((s, i) => foldOf(s, i, K) === k);
    // A fold without both outcomes cannot be fitted or judged: keep the model as it is.
    if (held.length === 0 || !fit.some((s) => s.label === 1) || !fit.some((s) => s.label === 0)) return { version, model };
    const scorer = rowScorer(fitFamily(fit, { ...o, seed: o.seed + k + 1 }));
    for (const s of held) {
      margins.push(scorer.margin(s.row));
      labels.push(s.label);
    }
  }
  const { a, b } = plattFit(margins, labels);
  if (!Number.isFinite(a) || !Number.isFinite(b) || a <= 0) return { version, model };
  return { version, model: scaleMargin(model, a, b) };
}

/** Keeps the engine's offers and outcomes, checks calibration on schedule and retrains drifted families. */
export class TwinRetrainer {
  private readonly own: LabelledOffer[] = [];
  readonly checks: CalibrationCheck[] = [];
  private retrains = 0;
  /** The first day each family's current model decided (0: the exploration models). */
  private readonly servedFrom = new Map<number, number>();

  constructor(
    private readonly exploration: readonly LabelledOffer[],
    private models: Record<string, PropensityModel>,
    private readonly o: RetrainOptions,
  ) {}

  /** An offer the engine made: its outcome comes later, as the offer's `label` (set to 1 by whoever hears the take-up). */
  offered(offer: LabelledOffer): void {
    this.own.push(offer);
  }

  /**
   * After the day's responses are in: on a check day, judges each family's calibration on
   * the last `everyDays` of the engine's offers and retrains the drifted ones. Returns the
   * scorer to serve from now on, or undefined when nothing changed.
   */
  endOfDay(day: number): GbdtScorer | undefined {
    const { everyDays, windowDays, zLimit, minOffers } = this.o;
    if (day === 0 || day % everyDays !== 0) return undefined;
    // Older offers than the retraining window are no longer needed.
    const keepFrom = day - windowDays;
    const first = this.own.findIndex((s) => s.day >= keepFrom);
    this.own.splice(0, first === -1 ? this.own.length : first);
    let changed = false;
    ACTION_FAMILIES.forEach((family, f) => {
      if (!this.models[family]) return;
      // The offers the current model predicted: since it was served, within the window.
      const since = this.servedFrom.get(f) ?? 0;
      const recent = this.own.filter((s) => s.family === f && s.day >= since && s.predicted !== undefined);
      if (recent.length < minOffers) return;
      const observedRate = recent.reduce((a, s) => a + s.label, 0) / recent.length;
      const meanPredicted = recent.reduce((a, s) => a + s.predicted!, 0) / recent.length;
      const se = Math.sqrt(Math.max(meanPredicted * (1 - meanPredicted), 1e-6) / recent.length);
      const z = (observedRate - meanPredicted) / se;
      const drifted = Math.abs(z) > zLimit;
      this.checks.push({ family, day, offers: recent.length, observedRate, meanPredicted, z: Math.round(z * 100) / 100, retrained: drifted });
      if (!drifted) return;
      const rows = [...this.exploration.filter((s) => s.family === f), ...this.own.filter((s) => s.family === f && s.day >= keepFrom)];
      this.models = { ...this.models, [family]: trainFamily(rows, `twin-${family}@retrain${++this.retrains}-day${day}`, { seed: this.o.seed + day }) };
      this.servedFrom.set(f, day + 1);
      changed = true;
    });
    return changed ? new GbdtScorer({ families: this.models }) : undefined;
  }

  /** The models served now. */
  get served(): Record<string, PropensityModel> {
    return this.models;
  }
}
