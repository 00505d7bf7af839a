/**
 * Beta-Bernoulli Thompson sampling: an action's acceptance is Beta(alpha, beta); each
 * choice draws one acceptance per action and takes the best draw (weighted by what an
 * acceptance is worth). Warm starts put the propensity model's (or the catalogue's)
 * estimate in as `strength` pseudo-observations. Randomness is an Rng passed in.
 */
import { normal, type Rng } from '../../core/random.js';

/** A Beta posterior over an acceptance probability. */
export interface BetaArm {
  alpha: number;
  beta: number;
}

/** The prior worth `strength` observations at `mean` (clamped into (0, 1) so both shapes stay positive). */
export function warmStart(mean: number, strength: number): BetaArm {
  const m = Math.min(1 - 1e-6, Math.max(1e-6, Number.isFinite(mean) ? mean : 0.5));
  const s = strength > 0 ? strength : 1;
  return { alpha: m * s, beta: (1 - m) * s };
}

/** The posterior after `successes` and `failures` (pseudo-counts may be fractional). */
export function updated(arm: BetaArm, successes: number, failures: number): BetaArm {
  return { alpha: arm.alpha + Math.max(0, successes), beta: arm.beta + Math.max(0, failures) };
}

/** The posterior mean alpha / (alpha + beta). */
export const betaMean = (arm: BetaArm): number => arm.alpha / (arm.alpha + arm.beta);

/** The posterior variance. */
export function betaVariance(arm: BetaArm): number {
  const s = arm.alpha + arm.beta;
  return (arm.alpha * arm.beta) / (s * s * (s + 1));
}

/**
 * A Gamma(shape, 1) draw by Marsaglia and Tsang (2000); shapes below 1 use the boost
 * Gamma(a) = Gamma(a + 1) U^(1/a).
 */
export function sampleGamma(shape: number, rng: Rng): number {
  if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
  if (shape < 1) {
    let u = rng.next();
    while (u === 0) u = rng.next();
    return sampleGamma(shape + 1, rng) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(alpha, beta) draw as X / (X + Y) with X, Y Gamma. */
export function sampleBeta(arm: BetaArm, rng: Rng): number {
  const x = sampleGamma(arm.alpha, rng);
  const y = sampleGamma(arm.beta, rng);
  return x + y > 0 ? x / (x + y) : betaMean(arm);
}

/**
 * An arm as Thompson sampling scores it: a draw of its acceptance turned into net value
 * (`gain` per acceptance less a fixed `cost`), so arms are compared in pounds.
 */
export interface ValuedArm {
  posterior: BetaArm;
  gain: number;
  cost: number;
}

/** One Thompson choice: the index of the best sampled net value (ties to the lower index). */
export function thompsonChoice(arms: readonly ValuedArm[], rng: Rng): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  arms.forEach((a, i) => {
    const v = sampleBeta(a.posterior, rng) * a.gain - a.cost;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  });
  return best;
}

/**
 * How often each arm wins over `draws` Thompson choices: the probabilities the policy
 * chooses with (the choice itself is one of these draws), so the propensity a decision
 * records is exactly the probability it was chosen with.
 */
export function thompsonShares(arms: readonly ValuedArm[], rng: Rng, draws: number): Float64Array {
  const wins = new Float64Array(arms.length);
  if (arms.length === 0) return wins;
  for (let k = 0; k < draws; k++) wins[thompsonChoice(arms, rng)]! += 1;
  for (let i = 0; i < wins.length; i++) wins[i]! /= draws;
  return wins;
}

/** The index `u` in [0, 1) falls on in the cumulative shares (the last positive share on rounding). */
export function pickByShare(shares: ArrayLike<number>, u: number): number {
  let acc = 0;
  let last = -1;
  for (let i = 0; i < shares.length; i++) {
    const s = shares[i]!;
    if (s <= 0) continue;
    last = i;
    acc += s;
    if (u < acc) return i;
  }
  return last;
}
