/** Training: datasets from the log, the model jobs, the registry entries they write, and serving. */
export { Champions, type ProfileScores, type ServedGbdt, type FeatureLookup } from './serving.js';
export { ModelLifecycle, jobOfModel, type TrainRunOptions, type TrainRun } from './lifecycle.js';
export type { TrainContext, TrainedModel, SkippedModel } from './context.js';
export { checkModelDrift, compareOnRows, recentRows, scoreRows, labelOfModel } from './drift.js';
export { propensityModelName } from './propensity.js';
export { MODEL_JOBS, runJob, type ModelJob } from './jobs.js';
