export { twoProportionTest, binomialInterval, type ArmConversions, type BinomialIntervalMethod } from './proportions.js';
export { welchTest, welchTestFromSummaries, summarize, type ArmSummary } from './means.js';
export { sampleRatioMismatch } from './srm.js';
export { ratioEstimate, ratioEstimateFromSums, compareRatios } from './deltaMethod.js';
export { cupedTest } from './cuped.js';
export { alwaysValidSequence, mixingVarianceForHorizon } from './sequential.js';
export { betaBinomialComparison, normalComparison } from './bayes.js';
export { holmAdjust, benjaminiHochbergAdjust } from './multipleTesting.js';
