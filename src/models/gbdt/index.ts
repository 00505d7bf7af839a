/** Gradient-boosted trees: training, scoring, TreeSHAP, importance, persistence, XGBoost import. */
export { train, type TrainData, type TrainResult } from './booster.js';
export { resolveParams, DEFAULT_PARAMS, type GbdtParams } from './params.js';
export { objectiveFor, type Objective, type ObjectiveName } from './objectives.js';
export type { FeatureMatrix } from './dataset.js';
export type { GbdtModel, ColumnEncoding } from './model.js';
export type { Tree } from './tree.js';
export { flatten, marginOfRow, marginBatch, predictBatch, rowScorer, type FlatEnsemble } from './predict.js';
export { treeExplainer, type Explainer } from './shap.js';
export { featureImportance, type FeatureImportance } from './importance.js';
export { saveModel, loadModel, modelToJson, MODEL_FORMAT, MODEL_FORMAT_VERSION } from './persist.js';
export { importXgboost } from './xgboost.js';
