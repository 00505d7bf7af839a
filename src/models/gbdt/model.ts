/**
 * A trained (or imported) gradient-boosted tree ensemble. The score of a row is
 * `transform(baseMargin + sum of its leaf values)`.
 */
import type { ObjectiveName } from './objectives.js';
import type { Tree } from './tree.js';

/** How a column of the source CSV became model features (kept so scoring encodes rows the same way). */
export type ColumnEncoding =
  | { name: string; kind: 'numeric' }
  | { name: string; kind: 'categorical'; levels: string[] };

/** A boosted ensemble: trees plus everything needed to score and explain them. */
export interface GbdtModel {
  objective: ObjectiveName;
  /** Margin before any tree (logit of the base rate for log loss). */
  baseMargin: number;
  featureNames: string[];
  trees: Tree[];
  /**
   * True for models imported from XGBoost, which compares float32 inputs with float32
   * thresholds; inputs are rounded to float32 before comparing so scores match exactly.
   */
  float32Inputs: boolean;
  /** Number of boosting rounds kept (early stopping may cut the ensemble). */
  bestIteration: number;
  /** Source-column encoding when trained from a CSV, else absent. */
  encoding?: ColumnEncoding[];
  /** The training parameters, for the record. */
  params?: Record<string, unknown>;
}
