import { deriveSeed } from '../core/random.js';

/**
 * A mulberry32 stream whose state can be swapped in and out: one object serves a million
 * customers, each with their own state word, so each customer's draws depend only on the
 * seed and their own history (common random numbers across policies).
 */
export class Stream {
  s = 0;

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller, one of the pair). */
  normal(): number {
    let u = this.next();
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Poisson count with a small mean (inversion; the twin's rates are well under 20). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    const l = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > l) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Lognormal with the given median and log-sd. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
}

/** Fills a state array with independent per-customer seeds derived from one seed. */
export function seedStates(seed: number, stream: number, n: number): Uint32Array {
  const states = new Uint32Array(n);
  const base = deriveSeed(seed, stream);
  for (let i = 0; i < n; i++) states[i] = deriveSeed(base, i);
  return states;
}
