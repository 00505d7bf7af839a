/**
 * Drift → retrain inside the twin's closed loop, as the model lifecycle does it for a
 * deployed engine: every `everyDays` the engine's own offers since each family's model was
 * served (at most `windowDays` back) are checked against what it predicted for them
 * (calibration); a family whose take-up has moved away from its predictions by more than
 * chance allows (an exact binomial test, so a family offered a dozen times is judged too) is
 * retrained on the exploration run's rows plus the engine's own labelled offers of the last
 * `windowDays`, calibrated on the engine's own offers, and served from the next decision.
 * Nothing here reads the truth.
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
}

/** What a check found for one family. */
export interface CalibrationCheck {
  family: ActionFamily;
  day: number;
  offers: number;
  observedRate: number;
  meanPredicted: number;
  z: number;
  /** Two-sided exact binomial p-value of the take-ups heard, at the mean prediction. */
  p: number;
  retrained: boolean;
}

export interface RetrainOptions {
  everyDays: number;
  windowDays: number;
  /**
   * The two-sided binomial p-value below which take-up counts as drifted from the predictions
   * (0.0027 is the old |z| > 3 of a normal approximation, which a family offered rarely, with a
   * small predicted take-up, cannot use: 15 take-ups in 24 offers predicted at 0.7% is z = 35).
   */
  pLimit: number;
  /** Offers a family needs since its model was served before its calibration is judged. */
  minOffers: number;
  /** Own offers (and take-ups) the engine needs before a retrained model is calibrated on them rather than on every row. */
  minOwnForCalibration: number;
  seed: number;
}

/**
 * Checked every 15 days: the exploration run's customers are contacted every ten days and the
 * engine's far less often, so its models under-predict the engine's own offers from day one
 * (default twin, seed 3: investments 0.13 predicted against 0.47 taken up in the first 15
 * days); a 30-day check left a month of decisions on the wrong scale.
 */
export const DEFAULT_RETRAIN: Omit<RetrainOptions, 'seed'> = { everyDays: 15, windowDays: 60, pLimit: 0.0027, minOffers: 10, minOwnForCalibration: 5 };

/** log of the binomial coefficient, by log-gamma (Lanczos). */
function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}
function logGamma(x: number): number {
  const g = [676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  let a = 0.99999999999980993;
  const t = x - 1 + 7.5;
  for (let i = 0; i < 8; i++) a += g[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x - 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Two-sided exact binomial test: the probability, under take-up rate `p`, of a count of
 * take-ups in `n` offers no more likely than the `k` seen (the sum of every outcome's
 * probability at or below that of `k`).
 */
export function binomialTwoSided(k: number, n: number, p: number): number {
  if (n === 0) return 1;
  const q = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  const logPmf = (j: number) => logChoose(n, j) + j * Math.log(q) + (n - j) * Math.log(1 - q);
  const seen = logPmf(k) + 1e-7;
  let total = 0;
  for (let j = 0; j <= n; j++) {
    const l = logPmf(j);
    if (l <= seen) total += Math.exp(l);
  }
  return Math.min(1, total);
}

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
export function trainFamily(rows: readonly LabelledOffer[], version: string, o: { seed: number; rounds?: number; maxDepth?: number; calibrate?: boolean; calibrateOn?: (s: LabelledOffer) => boolean }): PropensityModel {
  const model = fitFamily(rows, o);
  if (o.calibrate === false) return { version, model };
  // The rows whose out-of-fold margins the scaling is fitted on (default: all of them).
  const judged = o.calibrateOn ?? (() => true);
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
      if (!judged(s)) continue;
      margins.push(scorer.margin(s.row));
      labels.push(s.label);
    }
  }
  if (margins.length === 0) return { version, model };
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

  /** An offer the engine made: its outcome comes later through `accepted`. */
  offered(offer: LabelledOffer): void {
    this.own.push(offer);
  }

  /** The offer was taken up. */
  accepted(offer: LabelledOffer): void {
    offer.label = 1;
  }

  /**
   * After the day's responses are in: on a check day, judges each family's calibration on
   * the engine's offers since its model was served (at most `windowDays` back) and retrains
   * the drifted ones. Returns the scorer to serve from now on, or undefined when nothing changed.
   */
  endOfDay(day: number): GbdtScorer | undefined {
    const { everyDays, windowDays, pLimit, minOffers, minOwnForCalibration } = this.o;
    if (day === 0 || day % everyDays !== 0) return undefined;
    // Older offers than the retraining window are no longer needed.
    const keepFrom = day - windowDays;
    const first = this.own.findIndex((s) => s.day >= keepFrom);
    this.own.splice(0, first === -1 ? this.own.length : first);
    let changed = false;
    ACTION_FAMILIES.forEach((family, f) => {
      if (!this.models[family]) return;
      const since = this.servedFrom.get(f) ?? 0;
      const recent = this.own.filter((s) => s.family === f && s.day >= since && s.predicted !== undefined);
      if (recent.length < minOffers) return;
      const taken = recent.reduce((a, s) => a + s.label, 0);
      const observedRate = taken / recent.length;
      const meanPredicted = recent.reduce((a, s) => a + s.predicted!, 0) / recent.length;
      const se = Math.sqrt(Math.max(meanPredicted * (1 - meanPredicted), 1e-6) / recent.length);
      const z = (observedRate - meanPredicted) / se;
      const p = binomialTwoSided(taken, recent.length, meanPredicted);
      const drifted = p < pLimit;
      this.checks.push({ family, day, offers: recent.length, observedRate, meanPredicted, z: Math.round(z * 100) / 100, p: Number(p.toPrecision(3)), retrained: drifted });
      if (!drifted) return;
      const mine = this.own.filter((s) => s.family === f && s.day >= keepFrom);
      const minePositive = mine.reduce((a, s) => a + s.label, 0);
      // Calibrated on the engine's own offers when there are enough of them: those are the
      // customers it will go on choosing, and the exploration run's are more tired of contact.
      const own = minePositive >= minOwnForCalibration && mine.length - minePositive >= minOwnForCalibration ? new Set(mine) : undefined;
      const rows = [...this.exploration.filter((s) => s.family === f), ...mine];
      this.models = { ...this.models, [family]: trainFamily(rows, `twin-${family}@retrain${++this.retrains}-day${day}`, { seed: this.o.seed + day, ...(own && { calibrateOn: (s: LabelledOffer) => own.has(s) }) }) };
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
