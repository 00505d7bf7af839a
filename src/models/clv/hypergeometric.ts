/**
 * Gauss's hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, as the BG/NBD expectations
 * need it (z = t / (alpha + T + t) with positive a, b, c). The power series converges for
 * every |z| < 1 with terms shrinking like z^k k^(a+b-c-1): a few dozen terms at z = 0.5, about
 * 40,000 at z = 0.999. That is cheap next to the transformation formulas around z = 1, which
 * need special cases whenever c - a - b is an integer. The sum stops only when terms stop
 * moving the total (relative 1e-16) and keep shrinking for several terms in a row, and it
 * throws rather than return an unconverged value.
 */
import { NextbestError } from '../../core/errors.js';

const MAX_TERMS = 2_000_000;

/** 2F1(a, b; c; z) for 0 <= z < 1 and c not a non-positive integer, by its power series. */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1 needs 0 <= z < 1, got ${z}`);
  if (c <= 0 && Number.isInteger(c)) throw new RangeError(`hyp2f1 needs c not a non-positive integer, got ${c}`);
  let term = 1;
  let sum = 1;
  let quiet = 0;
  for (let k = 0; k < MAX_TERMS; k++) {
    // (a + k) z first: with a ~ 1e238 (a BG/NBD at its Poisson limit) (a + k)(b + k) could overflow.
    const ratio = (((a + k) * z) / (k + 1)) * ((b + k) / (c + k));
    term *= ratio;
    sum += term;
    if (term === 0) return sum;
    // A tiny term is not enough on its own: with a or b negative, (a+k) can pass close to
    // zero and make one term small before the series has settled.
    if (Math.abs(term) <= 1e-16 * Math.abs(sum) && Math.abs(ratio) < 1) {
      if (++quiet >= 3) return sum;
    } else quiet = 0;
  }
  throw new NextbestError('VALIDATION_FAILED', `hypergeometric 2F1(${a}, ${b}; ${c}; ${z}) did not converge in ${MAX_TERMS} terms`);
}
