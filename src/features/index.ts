export * from './definition.js';
export { FeatureSet, type CustomerFeatureState, type FeatureInfo } from './featureSet.js';
export { BANK_PACK } from './bankPack.js';
export { validateDefinitions } from './validate.js';
