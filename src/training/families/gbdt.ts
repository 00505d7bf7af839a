/**
 * The serving side shared by the GBDT families (propensity, churn, prepayment): a
 * champion's artefact loaded once into a row scorer, and the feature transform both
 * training and serving use — the model's own feature names looked up in the profile,
 * missing as NaN (the trees learned where missing values go).
 */
import { loadModel, rowScorer, type GbdtModel } from '../../models/gbdt/index.js';
import type { ModelRecord } from '../../store/modelRegistry.js';
import type { FeatureLookup } from './family.js';

/** A served GBDT: what decisioning's GbdtScorer takes (`version` + `model`). */
export interface ServedGbdt {
  version: string;
  model: GbdtModel;
  score: (x: ArrayLike<number>) => number;
}

/** Loads a GBDT champion for serving. */
export function servedGbdt(r: ModelRecord): ServedGbdt {
  const model = loadModel(r.artefact);
  const s = rowScorer(model);
  return { version: r.id, model, score: (x) => s.score(x) };
}

/** The transform of the GBDT families: the model's features by name, NaN when missing. */
export function gbdtRow(featureNames: readonly string[], values: FeatureLookup): Float64Array {
  return Float64Array.from(featureNames, (n) => values(n));
}

/** The probability a served GBDT gives a profile. */
export function gbdtProbability(m: ServedGbdt, values: FeatureLookup): number {
  return m.score(gbdtRow(m.model.featureNames, values));
}
