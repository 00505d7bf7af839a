/**
 * Confidence intervals for transition probabilities. Wilson's score interval treats each
 * cell on its own (a binomial proportion of its row); Goodman's (1965) intervals hold for
 * all cells of a row at once (multinomial, Bonferroni over the k cells), so they are wider.
 */
import { normalQuantile } from '../stats/normal.js';

/** How the intervals on transition probabilities are made. */
export type IntervalMethod = 'wilson' | 'goodman';

/** Wilson score interval for x successes in n trials (no continuity correction). */
export function wilsonInterval(x: number, n: number, confLevel = 0.95): [number, number] {
  if (n === 0) return [0, 1];
  const z = normalQuantile(1 - (1 - confLevel) / 2);
  const p = x / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const half = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denom = 1 + z2 / n;
  return [Math.max(0, (centre - half) / denom), Math.min(1, (centre + half) / denom)];
}

/**
 * Goodman's simultaneous intervals for the k cell probabilities of one multinomial row:
 * A = χ²₁ quantile at 1 - α/k, interval (A + 2nᵢ ∓ √(A(A + 4nᵢ(N - nᵢ)/N))) / (2(N + A)).
 */
export function goodmanIntervals(counts: readonly number[], confLevel = 0.95): [number, number][] {
  const total = counts.reduce((s, c) => s + c, 0);
  const k = counts.length;
  if (total === 0) return counts.map(() => [0, 1]);
  const z = normalQuantile(1 - (1 - confLevel) / (2 * k));
  const a = z * z;
  return counts.map((c) => {
    const root = Math.sqrt(a * (a + (4 * c * (total - c)) / total));
    const denom = 2 * (total + a);
    return [Math.max(0, (a + 2 * c - root) / denom), Math.min(1, (a + 2 * c + root) / denom)];
  });
}
