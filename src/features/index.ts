export * from './definition.js';
export { FeatureSet, type CustomerFeatureState, type FeatureInfo } from './featureSet.js';
export { BANK_PACK } from './bankPack.js';
export { validateDefinitions } from './validate.js';
export { OnlineFeatureStore, type Profile, type ProfileFeature, type OnlineOptions } from './online.js';
export { streamFeatureRows, buildFeatureMatrix, csvHeader, csvRow, csvValue, matrixToCsv, type AsOfPair, type FeatureMatrix, type BuildOptions } from './offline.js';
export { loadFeatures, loadFeatureFile, parseFeatureFile } from './load.js';
