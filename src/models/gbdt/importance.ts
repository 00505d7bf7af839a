/**
 * Feature importance as XGBoost reports it: `weight` (number of splits), `gain` (mean loss
 * reduction per split), `cover` (mean hessian sum per split), and the totals of gain and
 * cover. Features never split on are absent, as in XGBoost's get_score.
 */
import type { GbdtModel } from './model.js';

/** Importance of one feature. */
export interface FeatureImportance {
  feature: string;
  weight: number;
  gain: number;
  cover: number;
  totalGain: number;
  totalCover: number;
}

/** Importance of every feature used in a split, by descending total gain. */
export function featureImportance(model: GbdtModel): FeatureImportance[] {
  const n = model.featureNames.length;
  const weight = new Float64Array(n);
  const gain = new Float64Array(n);
  const cover = new Float64Array(n);
  for (const t of model.trees) {
    for (let k = 0; k < t.feature.length; k++) {
      const f = t.feature[k]!;
      if (f < 0) continue;
      weight[f] += 1;
      gain[f] += t.gain[k]!;
      cover[f] += t.cover[k]!;
    }
  }
  const out: FeatureImportance[] = [];
  for (let f = 0; f < n; f++) {
    if (weight[f] === 0) continue;
    out.push({
      feature: model.featureNames[f]!,
      weight: weight[f]!,
      gain: gain[f]! / weight[f]!,
      cover: cover[f]! / weight[f]!,
      totalGain: gain[f]!,
      totalCover: cover[f]!,
    });
  }
  return out.sort((a, b) => b.totalGain - a.totalGain);
}
