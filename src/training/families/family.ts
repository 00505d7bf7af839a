/**
 * What a model family is: everything about one kind of model in one module — how it
 * trains from the log, how its champion is served, the label its drift checks rebuild,
 * the rule scores decisions read (`scores.NAME`), and the feature transform shared by
 * training and serving (one function, so the two can never disagree). The list of
 * families is `FAMILIES` in ./index.ts; nothing outside this folder names a family.
 */
import type { StoredEvent } from '../../core/events.js';
import type { ModelRecord } from '../../store/modelRegistry.js';
import type { SkippedModel, TrainContext, TrainedModel } from '../context.js';
import type { LabelDef } from '../labels.js';

/** Feature values by name (NaN or missing = no value). */
export type FeatureLookup = (name: string) => number;

/** What serving knows about one customer when it scores them. */
export interface ScoreInput {
  values: FeatureLookup;
  /** Epoch ms the scores are for. */
  now: number;
  /** The customer's card_payment events up to `now` (empty when the caller did not read them). */
  cardPayments: readonly StoredEvent[];
  /** False when decisions score propensities per action themselves. */
  propensities: boolean;
  /** The rule scores of the families listed before this one (those it names in `readsRuleScores` at least). */
  ruleScores: Readonly<Record<string, number>>;
}

/** A number decision rules read as `scores.NAME`. */
export interface RuleScore<Score> {
  name: string;
  /** What the number means, for the catalogue author. */
  description: string;
  /** The number from the family's profile score; undefined when it has none for this customer. */
  read(score: Score): number | undefined;
}

/** The rows a drift check rebuilds for a model: its label, and (propensity) the action the rows belong to. */
export interface DriftLabel {
  def: LabelDef;
  action?: string;
}

/** How a family's candidates must show they are good enough to serve (see ../promotion.ts). */
export type PromotionRule =
  /** Binary classifier: enough test positives, AUC lower bound above 0.5 and above the champion's on the same rows. */
  | 'binary_auc'
  /** A fitted mixture of two take-up rates: EM converged, both rates pinned down, held-out log loss below the base rate's. */
  | 'mixture_fit'
  /** No held-out outcome to test (unsupervised, or a fitted chain): a person judges the card. */
  | 'judged_by_card';

/**
 * One model family. `Served` is what loading its champions gives (undefined without one);
 * `Score` is what a profile carries under `key` (null-able when nothing is served).
 */
export interface ModelFamily<Key extends string, Served, Score> {
  /** The key of the family's score in a profile's `scores`. */
  readonly key: Key;
  /** The job `nextbest train --model JOB` runs; families without a trained model (rule-based) have none. */
  readonly job?: string;
  /** One line on what the family predicts, for docs and listings. */
  readonly summary: string;
  /** The feature transform shared by training and serving, in words (the function is exported by the module). */
  readonly transform: string;
  /** Whether a registry name is one of this family's models. */
  owns(name: string): boolean;
  /** True when the models read profile features: champions trained on other feature definitions are not served. */
  readonly readsFeatures: boolean;
  /** Rule scores of families listed before this one that its score reads (`ScoreInput.ruleScores`): they are computed first. */
  readonly readsRuleScores?: readonly string[];
  /**
   * The models of other families a champion was fitted on (the churn model whose scores the
   * retention mixture was fitted to): it is served only while they are champions too, since
   * on another model's scores its parameters mean something else.
   */
  fittedOn?(record: ModelRecord): readonly string[];
  /** True when scoring needs the customer's card payments (`ScoreInput.cardPayments`), which the caller must read. */
  readonly readsCardPayments?: boolean;
  /** Trains from the log and registers candidates (or says why it skipped). */
  train?(ctx: TrainContext): Promise<(TrainedModel | SkippedModel)[]>;
  /** Builds what serving needs from the family's champion records (all of one load, never empty). */
  load(records: readonly ModelRecord[]): Served;
  /** The model ids served. */
  versions(served: Served): string[];
  /** The family's score of one customer. */
  score(served: Served | undefined, input: ScoreInput): Score;
  /** The label a drift check rebuilds for a model of this family; undefined when there is none (the reason is in `driftNote`). */
  driftLabel(name: string): DriftLabel | undefined;
  /** Why some of the family's models have no label drift check (undefined when all have one). */
  readonly driftNote?: string;
  /** The numbers decision rules read. */
  readonly ruleScores: readonly RuleScore<Score>[];
  /** How a candidate of this registry name earns promotion. */
  promotion(name: string): PromotionRule;
}

/** Declares a family, keeping its key and types literal so the profile's scores type follows the list. */
export function defineFamily<Key extends string, Served, Score>(f: ModelFamily<Key, Served, Score>): ModelFamily<Key, Served, Score> {
  return f;
}

/** Rounds a score for storage and display (6 significant digits). */
export const round6 = (x: number) => Number(x.toPrecision(6));
