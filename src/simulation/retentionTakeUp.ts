/**
 * Take-up of a retention offer, by whether the customer is leaving. Few customers are
 * leaving at any time, and they take a retention offer up far more often than the rest, so a
 * random exploration run hears only a handful of take-ups from leavers (default twin, seed
 * 1002: 17 take-ups of 1,148 offers, 4 of them from customers with a churn score of 0.2 or
 * more) and a per-family GBDT learns nothing about them: it predicted 0.02 for the engine's
 * retention offers, which were taken up 45% of the time. With the churn score r as the chance
 * that the customer is leaving, take-up is a two-part mixture, (1 − r) × stayers' rate + r ×
 * leavers' rate: two numbers, which the run's offers do pin down. The same mixture says what
 * a take-up is worth: the chance a taker was leaving is r × leavers' rate / take-up. The maths
 * is src/models/stats/leaverMixture.ts, shared with production's retention family; this
 * module is the twin's scorer, which refits it in the loop with the engine's own offers.
 */
import type { ActionVars, Contribution, FeatureRows, PropensityScore, PropensityScorer } from '../decisioning/index.js';
import { fitLeaverTakeUp, takeUpAt, type LeaverTakeUp } from '../models/stats/leaverMixture.js';

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
