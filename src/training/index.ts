/** Training: datasets from the log, the model families (train, serve, drift label, rule scores), the lifecycle. */
export { Champions, ruleScoreCatalogue, type ProfileScores, type ServedGbdt, type FeatureLookup } from './serving.js';
export { ModelLifecycle, type TrainRunOptions, type TrainRun } from './lifecycle.js';
export type { TrainContext, TrainedModel, SkippedModel } from './context.js';
export { checkModelDrift, compareOnRows, recentRows, scoreRows, labelOfModel } from './drift.js';
export { FAMILIES, MODEL_JOBS, jobOfModel, runJob, propensityModelName, type ModelJob, type ModelFamily } from './families/index.js';
export { PromotionRefused, type PromotionVerdict } from './promotion.js';
