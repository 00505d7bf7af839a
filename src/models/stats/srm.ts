/**
 * Sample-ratio mismatch: does the number of customers per arm fit the weights the assignment
 * was meant to produce? Pearson's χ² goodness of fit with k − 1 degrees of freedom (scipy
 * `chisquare(counts, f_exp)`). A mismatch means the assignment or the exposure logging is
 * broken, so every other number of the experiment is suspect (Fabijan et al., "Diagnosing
 * Sample Ratio Mismatch in Online Controlled Experiments", KDD 2019). The default alert
 * threshold p < 0.001 is deliberately strict: the check runs on every experiment every day,
 * and a false alarm halts a sound experiment.
 */
import { invalid } from './checks.js';
import { chiSquareSurvival } from './incompleteGamma.js';

/** The result of an SRM check. */
export interface SampleRatioCheck {
  chiSquare: number;
  df: number;
  pValue: number;
  expectedCounts: number[];
  /** Observed share of each arm. */
  observedShares: number[];
  threshold: number;
  /** True when pValue < threshold: stop reading the experiment and look for the bug. */
  alert: boolean;
}

/** χ² test of arm counts against expected weights (any positive scale; they are normalised). */
export function sampleRatioMismatch(counts: readonly number[], weights: readonly number[], threshold = 0.001): SampleRatioCheck {
  if (counts.length < 2) invalid('counts', 'min_length', `needs at least 2 arms, got ${counts.length}`);
  if (weights.length !== counts.length) invalid('weights', 'length', `${weights.length} weights for ${counts.length} arms`);
  counts.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0) invalid(`counts[${i}]`, 'non_negative_integer', `must be an integer >= 0, got ${c}`);
  });
  weights.forEach((w, i) => {
    if (!(w > 0) || !Number.isFinite(w)) invalid(`weights[${i}]`, 'positive', `must be a finite number > 0, got ${w}`);
  });
  if (!(threshold > 0 && threshold < 1)) invalid('threshold', 'open_unit_interval', `must be in (0, 1), got ${threshold}`);
  const total = counts.reduce((s, c) => s + c, 0);
  if (total === 0) invalid('counts', 'non_empty', 'no customers counted in any arm');
  const wSum = weights.reduce((s, w) => s + w, 0);
  const expectedCounts = weights.map((w) => (total * w) / wSum);
  let chiSquare = 0;
  counts.forEach((c, i) => {
    const e = expectedCounts[i]!;
    chiSquare += ((c - e) * (c - e)) / e;
  });
  const df = counts.length - 1;
  const pValue = chiSquareSurvival(chiSquare, df);
  return { chiSquare, df, pValue, expectedCounts, observedShares: counts.map((c) => c / total), threshold, alert: pValue < threshold };
}
