/**
 * Drift → retrain inside the twin's closed loop, as the model lifecycle does it for a
 * deployed engine: every `everyDays` the engine's own offers of the last `everyDays` are
 * checked against what each family's model predicted for them (calibration); a family whose
 * take-up has moved away from its predictions by more than chance allows is retrained on the
 * exploration run's rows plus the engine's own labelled offers of the last `windowDays`, and
 * the new model is served from the next decision. Nothing here reads the truth.
 */
import { GbdtScorer, type PropensityModel } from '../decisioning/index.js';
import { train } from '../models/gbdt/index.js';
import { ACTION_FAMILIES, type ActionFamily } from './offers.js';
import { TWIN_MODEL_FEATURES } from './twinProfile.js';

/** One offer with its features, the family's model's prediction, and (once heard) its outcome. */
export interface LabelledOffer {
  row: Float64Array;
  family: number;
  label: number;
  predicted?: number;
  day: number;
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

export const DEFAULT_RETRAIN: Omit<RetrainOptions, 'seed'> = { everyDays: 30, windowDays: 60, zLimit: 3, minOffers: 50 };

/** Trains one family's propensity GBDT (the twin's parameters; see enginePolicy.ts). */
export function trainFamily(rows: readonly LabelledOffer[], version: string, o: { seed: number; rounds?: number; maxDepth?: number }): PropensityModel {
  const W = TWIN_MODEL_FEATURES.length;
  const values = new Float64Array(rows.length * W);
  rows.forEach((s, i) => values.set(s.row, i * W));
  const { model } = train(
    { features: { nRows: rows.length, nFeatures: W, values }, label: Float64Array.from(rows, (s) => s.label), featureNames: TWIN_MODEL_FEATURES },
    { rounds: o.rounds ?? 60, maxDepth: o.maxDepth ?? 3, learningRate: 0.1, seed: o.seed, lambda: 10, minChildWeight: 3 },
  );
  return { version, model };
}

/** Keeps the engine's offers and outcomes, checks calibration on schedule and retrains drifted families. */
export class TwinRetrainer {
  private readonly own: LabelledOffer[] = [];
  readonly checks: CalibrationCheck[] = [];
  private retrains = 0;

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
      const recent = this.own.filter((s) => s.family === f && s.day > day - everyDays && s.predicted !== undefined);
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
      changed = true;
    });
    return changed ? new GbdtScorer({ families: this.models }) : undefined;
  }

  /** The models served now. */
  get served(): Record<string, PropensityModel> {
    return this.models;
  }
}
