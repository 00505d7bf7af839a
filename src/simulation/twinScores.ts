/**
 * The scores the engine's decisions read in the twin (`scores.churn_risk`), as a bank would
 * serve them from its churn model: a GBDT trained on an exploration run of the twin from
 * what the engine can see, labelled by who closed their account within the horizon. The
 * truth (who is leaving, the hazard) is never read: a customer has churned when the loop
 * stops asking about them.
 */
import { rowScorer, train, type GbdtModel } from '../models/gbdt/index.js';
import type { CustomerView } from './closedLoop.js';
import { twinProfile, TWIN_MODEL_FEATURES } from './twinProfile.js';

/** The churn model's features: the propensity models' less the offer's channel. */
export const CHURN_FEATURES = TWIN_MODEL_FEATURES.filter((f) => f !== 'channel_code');
/** Where each churn feature sits in a propensity model's row. */
const FROM_MODEL_ROW = CHURN_FEATURES.map((f) => TWIN_MODEL_FEATURES.indexOf(f));

/** Scores one customer as decision rules read them. */
export interface TwinScores {
  /** Model ids, for the comparison's training report. */
  versions: string[];
  scores(view: CustomerView): Record<string, number>;
  /** The churn score of a propensity model's row (TWIN_MODEL_FEATURES order), or undefined without a churn model. */
  churnOfRow?(row: Float64Array): number | undefined;
}

interface Snapshot {
  customerId: string;
  day: number;
  row: Float64Array;
}

/**
 * Collects churn training rows during a closed-loop run: a snapshot of each active customer's
 * view every `everyDays` days (staggered by customer), and the last day each was active.
 */
export class ChurnSampler {
  private readonly snapshots: Snapshot[] = [];
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly o: { horizonDays: number; everyDays: number }) {}

  /** Hears the view of one active customer on `day` (call for every active customer each day). */
  see(view: CustomerView, day: number): void {
    this.lastSeen.set(view.customerId, day);
    const stagger = Number(view.customerId.replace(/\D/g, '')) % this.o.everyDays;
    if (day % this.o.everyDays !== stagger) return;
    const p = twinProfile(view, 'in_app');
    this.snapshots.push({ customerId: view.customerId, day, row: Float64Array.from(CHURN_FEATURES, (f) => p[f] ?? Number.NaN) });
  }

  /**
   * Trains the churn model on the snapshots whose horizon ended within the run (`days`
   * long): label 1 when the customer was last seen within the horizon after the snapshot.
   * Undefined when the run is too short or too few customers left to learn from.
   */
  train(days: number, seed: number): { model: GbdtModel; version: string; rows: number; positives: number } | undefined {
    const h = this.o.horizonDays;
    const rows = this.snapshots.filter((s) => s.day + h <= days - 1);
    const label = Float64Array.from(rows, (s) => {
      const last = this.lastSeen.get(s.customerId)!;
      return last < days - 1 && last < s.day + h ? 1 : 0;
    });
    const positives = label.reduce((a, b) => a + b, 0);
    if (rows.length < 200 || positives < 20) return undefined;
    const values = new Float64Array(rows.length * CHURN_FEATURES.length);
    rows.forEach((s, i) => values.set(s.row, i * CHURN_FEATURES.length));
    const { model } = train({ features: { nRows: rows.length, nFeatures: CHURN_FEATURES.length, values }, label, featureNames: CHURN_FEATURES }, { rounds: 60, maxDepth: 3, learningRate: 0.1, seed });
    return { model, version: `twin-churn_${h}d@seed${seed}`, rows: rows.length, positives };
  }
}

/** Serves a churn model as `scores.churn_risk` (the probability of leaving within its horizon). */
export function churnScores(m: { model: GbdtModel; version: string } | undefined): TwinScores {
  if (!m) return { versions: [], scores: () => ({}), churnOfRow: () => undefined };
  const scorer = rowScorer(m.model);
  return {
    versions: [m.version],
    scores(view) {
      const p = twinProfile(view, 'in_app');
      return { churn_risk: scorer.score(Float64Array.from(CHURN_FEATURES, (f) => p[f] ?? Number.NaN)) };
    },
    churnOfRow: (row) => scorer.score(Float64Array.from(FROM_MODEL_ROW, (k) => row[k]!)),
  };
}
