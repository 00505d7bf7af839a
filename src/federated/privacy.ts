/**
 * Optional differential privacy for federated trees: Gaussian noise on every released
 * histogram, added in shares by the participants before masking (each adds N(0, σ²/k)
 * for k participants, so the sum carries N(0, σ²) and the coordinator never sees a
 * noise-free total), and an RDP accountant (Mironov 2017) that turns the number of
 * releases into (ε, δ).
 *
 * Neighbouring data sets differ by one customer row. A row sits in one node per level, so
 * one aggregation step (a batch of disjoint nodes) changes by one cell (g, h, count) per
 * feature: L2 sensitivity Δ = sqrt(F · (g² + h² + 1)) with |g| ≤ 1 and h ≤ 1/4 for log loss.
 * The label statistics ([Σy, n]) are one more release with Δ = sqrt(2), below that.
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../core/errors.js';

/** What the model card reports about privacy. */
export interface PrivacyReport {
  mechanism: 'none' | 'gaussian';
  epsilon: number | null;
  delta: number | null;
  /** Noise standard deviation relative to the sensitivity (σ / Δ). */
  noiseMultiplier: number | null;
  /** σ of the noise on each histogram cell of the sum. */
  sigma: number | null;
  /** Histogram releases accounted for: the planned maximum (label statistics + rounds x (depth + 1)), or the steps made when retried attempts made more. */
  releases: number;
}

/** L2 sensitivity of one aggregation step with F features, for log loss. */
export function stepSensitivity(nFeatures: number): number {
  return Math.sqrt(nFeatures * (1 + 1 / 16 + 1));
}

const ORDERS = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 128, 256, 512, 1024];

/** ε after `releases` Gaussian releases with noise multiplier z, at δ: min over orders of RDP + log(1/δ)/(α − 1). */
export function epsilonOf(releases: number, noiseMultiplier: number, delta: number): number {
  let best = Infinity;
  for (const a of ORDERS) {
    const rdp = (releases * a) / (2 * noiseMultiplier * noiseMultiplier);
    best = Math.min(best, rdp + Math.log(1 / delta) / (a - 1));
  }
  return best;
}

/** The smallest noise multiplier (to 0.1%) whose ε after `releases` is at most `epsilon`. */
export function calibrateNoise(epsilon: number, delta: number, releases: number): number {
  if (!(epsilon > 0) || !(delta > 0 && delta < 1)) {
    throw new ValidationError([{ field: 'privacy', rule: 'range', message: `needs epsilon > 0 and 0 < delta < 1, got ${epsilon}, ${delta}` }]);
  }
  let lo = 1e-3;
  let hi = 1;
  while (epsilonOf(releases, hi, delta) > epsilon) hi *= 2;
  while (hi / lo > 1.001) {
    const mid = Math.sqrt(lo * hi);
    if (epsilonOf(releases, mid, delta) > epsilon) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Releases a training run makes at most: the label statistics, then per tree one per level of depth (root included). */
export function plannedReleases(rounds: number, maxDepth: number): number {
  return 1 + rounds * (maxDepth + 1);
}

/** A standard normal from the operating system's CSPRNG (DP noise must not be predictable from a seed). */
export function secureNormal(): number {
  const b = randomBytes(16);
  const u1 = (b.readUInt32BE(0) * 2 ** 21 + (b.readUInt32BE(4) >>> 11) + 1) / 2 ** 53;
  const u2 = (b.readUInt32BE(8) * 2 ** 21 + (b.readUInt32BE(12) >>> 11)) / 2 ** 53;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Adds N(0, sd²) to every value in place. */
export function addNoise(values: Float64Array, sd: number): void {
  if (sd <= 0) return;
  for (let i = 0; i < values.length; i++) values[i] += sd * secureNormal();
}
