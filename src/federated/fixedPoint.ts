/**
 * Fixed-point numbers in the ring of integers mod 2^128, four little-endian 32-bit limbs
 * per number: what participants mask and the coordinator sums. Masks are uniform ring
 * elements, so they cancel exactly in the sum (float addition would leave residue and
 * would not hide the value). 64 fractional bits put the rounding of a histogram cell at
 * 2^-65, far below the 1e-12 a federated model must agree with a pooled one; 63 integer
 * bits hold any gradient sum a bank could have.
 */
import { ValidationError } from '../core/errors.js';

/** 32-bit words per number. */
export const WORDS = 4;
const FRACTION = 2 ** 64;
const LIMB = 2 ** 32;
const LIMIT = 2 ** 62;

/** Encodes floats as ring elements; a non-finite value or one beyond 2^62 is refused. */
export function encode(values: Float64Array): Uint32Array {
  const out = new Uint32Array(values.length * WORDS);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x) || Math.abs(x) >= LIMIT) {
      throw new ValidationError([{ field: `values[${i}]`, rule: 'fixed_point_range', message: `must be finite and below 2^62 in magnitude, got ${x}` }]);
    }
    // x * 2^64 is exact (a power of two); below 2^53 it still has a fraction to round off.
    const scaled = x * FRACTION;
    let m = Math.abs(scaled) < 2 ** 53 ? Math.round(Math.abs(scaled)) : Math.abs(scaled);
    const k = i * WORDS;
    for (let w = WORDS - 1; w >= 0; w--) {
      const unit = LIMB ** w;
      const limb = Math.floor(m / unit);
      out[k + w] = limb;
      m -= limb * unit;
    }
    if (scaled < 0) negateAt(out, k);
  }
  return out;
}

/** Decodes ring elements (two's complement) to floats. */
export function decode(words: Uint32Array): Float64Array {
  const n = words.length / WORDS;
  const out = new Float64Array(n);
  const tmp = new Uint32Array(WORDS);
  for (let i = 0; i < n; i++) {
    tmp.set(words.subarray(i * WORDS, (i + 1) * WORDS));
    const negative = (tmp[WORDS - 1]! & 0x80000000) !== 0;
    if (negative) negateAt(tmp, 0);
    let v = 0;
    for (let w = WORDS - 1; w >= 0; w--) v = v * LIMB + tmp[w]!;
    out[i] = (negative ? -v : v) / FRACTION;
  }
  return out;
}

/** target += other (mod 2^128, element-wise). */
export function addInto(target: Uint32Array, other: Uint32Array): void {
  checkSameLength(target, other);
  for (let k = 0; k < target.length; k += WORDS) {
    let carry = 0;
    for (let w = 0; w < WORDS; w++) {
      const s = target[k + w]! + other[k + w]! + carry;
      target[k + w] = s >>> 0;
      carry = s >= LIMB ? 1 : 0;
    }
  }
}

/** target -= other (mod 2^128, element-wise). */
export function subtractInto(target: Uint32Array, other: Uint32Array): void {
  checkSameLength(target, other);
  for (let k = 0; k < target.length; k += WORDS) {
    let borrow = 0;
    for (let w = 0; w < WORDS; w++) {
      const d = target[k + w]! - other[k + w]! - borrow;
      target[k + w] = d >>> 0;
      borrow = d < 0 ? 1 : 0;
    }
  }
}

function negateAt(a: Uint32Array, k: number): void {
  let carry = 1;
  for (let w = 0; w < WORDS; w++) {
    const s = (~a[k + w]! >>> 0) + carry;
    a[k + w] = s >>> 0;
    carry = s >= LIMB ? 1 : 0;
  }
}

function checkSameLength(a: Uint32Array, b: Uint32Array): void {
  if (a.length !== b.length) throw new ValidationError([{ field: 'masked', rule: 'length', message: `${b.length} words where ${a.length} were expected` }]);
}
