/**
 * Take-up of a retention offer, by whether the customer is leaving. Few customers are
 * leaving at any time, and they take a retention offer up far more often than the rest, so a
 * random exploration run hears only a handful of take-ups from leavers (default twin, seed
 * 1002: 17 take-ups of 1,148 offers, 4 of them from customers with a churn score of 0.2 or
 * more) and a per-family GBDT learns nothing about them: it predicted 0.02 for the engine's
 * retention offers, which were taken up 45% of the time. With the churn score r as the chance
 * that the customer is leaving, take-up is a two-part mixture, (1 − r) × stayers' rate + r ×
 * leavers' rate: two numbers, which the run's offers do pin down. The same mixture says what
 * a take-up is worth: the chance a taker was leaving is r × leavers' rate / take-up.
 */
import type { ActionVars, Contribution, FeatureRows, PropensityScore, PropensityScorer } from '../decisioning/index.js';

/** Take-up rates of a retention offer among customers staying and leaving, fitted on offers with their churn scores. */
export interface LeaverTakeUp {
  stayers: number;
  leavers: number;
  /** Offers and take-ups fitted on. */
  offers: number;
  takeUps: number;
}

/**
 * Maximum likelihood of P(take-up) = (1 − r) t0 + r t1 over offers with churn scores `r` and
 * outcomes `y` (1 taken up), by EM (the likelihood is concave in t0, t1), with one take-up and
 * one decline of prior weight in each group so a group with no take-ups is not fitted at 0.
 * Undefined when there are fewer than 50 offers or none was taken up.
 */
export function fitLeaverTakeUp(r: ArrayLike<number>, y: ArrayLike<number>, iterations = 200): LeaverTakeUp | undefined {
  const n = r.length;
  if (y.length !== n) throw new RangeError(`fitLeaverTakeUp: ${n} churn scores but ${y.length} outcomes`);
  let takeUps = 0;
  for (let i = 0; i < n; i++) takeUps += y[i]!;
  if (n < 50 || takeUps === 0) return undefined;
  let t0 = takeUps / n;
  let t1 = Math.min(0.5, 2 * t0);
  for (let it = 0; it < iterations; it++) {
    // E: the chance each offer went to a leaver, given its outcome; M: each group's rate.
    let wl = 1;
    let yl = 0.5;
    let ws = 1;
    let ys = 0.5;
    for (let i = 0; i < n; i++) {
      const ri = Math.min(1, Math.max(0, r[i]!));
      const leaving = y[i] ? ri * t1 : ri * (1 - t1);
      const staying = y[i] ? (1 - ri) * t0 : (1 - ri) * (1 - t0);
      const w = leaving + staying > 0 ? leaving / (leaving + staying) : ri;
      wl += w;
      ws += 1 - w;
      yl += w * y[i]!;
      ys += (1 - w) * y[i]!;
    }
    const next0 = ys / ws;
    const next1 = yl / wl;
    const done = Math.abs(next0 - t0) < 1e-10 && Math.abs(next1 - t1) < 1e-10;
    t0 = next0;
    t1 = next1;
    if (done) break;
  }
  return { stayers: t0, leavers: t1, offers: n, takeUps };
}

/** The chance of a take-up at churn score r. */
export function takeUpAt(fit: LeaverTakeUp, r: number): number {
  const x = Math.min(1, Math.max(0, r));
  return (1 - x) * fit.stayers + x * fit.leavers;
}

/** The chance that a customer with churn score r who takes the offer up was leaving. */
export function leavingGivenTakeUp(fit: LeaverTakeUp, r: number): number {
  const x = Math.min(1, Math.max(0, r));
  const p = takeUpAt(fit, x);
  return p > 0 ? (x * fit.leavers) / p : x;
}

/** Offers a mixture is fitted on: each offer's churn score and outcome (1 taken up). */
export interface RetentionOffers {
  r: readonly number[];
  y: readonly number[];
}

/**
 * Serves retention take-up from the mixture (the churn score read from the profile's
 * `churn_risk`) and every other family from `inner`. An action with no churn score falls
 * back to `inner`. It keeps the offers it was fitted on, so the engine's own retention offers
 * (made to the customers most likely to be leaving: what a random run hears least of) can be
 * added and the two rates refitted (`learn`).
 */
export class RetentionTakeUpScorer implements PropensityScorer {
  private constructor(
    private readonly inner: PropensityScorer,
    readonly fit: LeaverTakeUp,
    private readonly offers: RetentionOffers,
    readonly version: string,
  ) {}

  /** The mixture fitted on `offers` over `inner`; undefined when they cannot be fitted (fitLeaverTakeUp). */
  static fitted(inner: PropensityScorer, offers: RetentionOffers, version: string): RetentionTakeUpScorer | undefined {
    const fit = fitLeaverTakeUp(offers.r, offers.y);
    return fit && new RetentionTakeUpScorer(inner, fit, offers, version);
  }

  private churnOf(action: ActionVars, features: FeatureRows): number | undefined {
    if (action.family !== 'retention') return undefined;
    const r = features.values.churn_risk;
    return typeof r === 'number' && Number.isFinite(r) ? r : undefined;
  }

  score(action: ActionVars, features: FeatureRows): PropensityScore | undefined {
    const r = this.churnOf(action, features);
    return r === undefined ? this.inner.score(action, features) : { propensity: takeUpAt(this.fit, r), modelVersion: this.version };
  }

  explain(action: ActionVars, features: FeatureRows, top: number): Contribution[] {
    // The churn score is internal: the mixture gives no driver a customer could be told of.
    return this.churnOf(action, features) === undefined ? this.inner.explain(action, features, top) : [];
  }

  versionFor(action: ActionVars): string | undefined {
    return action.family === 'retention' ? this.version : this.inner.versionFor(action);
  }

  /** The same retention mixture over other models (after a retrain). */
  over(inner: PropensityScorer): RetentionTakeUpScorer {
    return new RetentionTakeUpScorer(inner, this.fit, this.offers, this.version);
  }

  /** The mixture refitted with more offers (the engine's own), served as `version`. */
  learn(more: RetentionOffers, version: string): RetentionTakeUpScorer {
    const offers = { r: [...this.offers.r, ...more.r], y: [...this.offers.y, ...more.y] };
    return new RetentionTakeUpScorer(this.inner, fitLeaverTakeUp(offers.r, offers.y) ?? this.fit, offers, version);
  }
}
