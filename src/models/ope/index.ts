/** Off-policy evaluation: IPS, SNIPS, DM, DR, clipped and Switch-DR, bootstrap intervals, effective sample size. */
export { ESTIMATORS, DEFAULT_SETTINGS, estimate, effectiveSampleSize, maxWeight, checkRounds, roundsOf, type OpeRounds, type EstimatorName, type EstimatorSettings } from './estimators.js';
export { bootstrapIntervals, offPolicyReport, type Interval, type BootstrapOptions, type OffPolicyReport } from './interval.js';
