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
// Hooks for training where the rows stay with their owners (src/federated): bins, histograms, sketches.
export { checkCuts } from './booster.js';
export { binMatrix, binOf, checkMatrix, type BinnedDataset } from './dataset.js';
export { buildHistogram } from './histogram.js';
export { monotoneVector, treeParams } from './params.js';
export { sketchSummary, cutsFromSummaries, type SketchSummary } from './quantileSketch.js';
export { growTreeFromHistograms, applySplit, binLayout, type AppliedSplit, type NodeHistogram, type HistogramSource, type BinLayout } from './histTree.js';
export { leafIndex } from './tree.js';
export type { TreeParams } from './treeLearner.js';
