/**
 * Draws state sequences from a known chain, for seeded tests and benchmarks.
 */
import type { Rng } from '../../core/random.js';
import type { EncodedSequences } from './transitions.js';

/** Simulates `customers` sequences of `periods` states each, starting from `initial` (a distribution over states). */
export function simulateSequences(
  p: readonly (readonly number[])[],
  states: readonly string[],
  initial: readonly number[],
  customers: number,
  periods: number,
  rng: Rng,
): EncodedSequences {
  const k = p.length;
  const cumulative = p.map((row) => {
    let s = 0;
    return row.map((v) => (s += v));
  });
  let s0 = 0;
  const start = initial.map((v) => (s0 += v));
  const draw = (cum: number[]) => {
    const u = rng.next() * cum[k - 1]!;
    let j = 0;
    while (j < k - 1 && u >= cum[j]!) j++;
    return j;
  };
  const codes = new Int32Array(customers * periods);
  const offsets = new Int32Array(customers + 1);
  for (let c = 0; c < customers; c++) {
    offsets[c] = c * periods;
    let state = draw(start);
    for (let t = 0; t < periods; t++) {
      if (t > 0) state = draw(cumulative[state]!);
      codes[c * periods + t] = state;
    }
  }
  offsets[customers] = customers * periods;
  return { codes, offsets, states: [...states] };
}
