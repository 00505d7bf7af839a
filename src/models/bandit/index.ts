/** Bandits: Beta-Bernoulli and linear Thompson sampling, pure and seeded. */
export { warmStart, updated, betaMean, betaVariance, sampleGamma, sampleBeta, thompsonChoice, thompsonShares, pickByShare, type BetaArm, type ValuedArm } from './beta.js';
export { linearArm, observe, adjustReward, linearMean, sampleTheta, predictive, contextVector, dot, type LinearArm } from './linear.js';
