/**
 * Input checks shared by the A/B statistics: bad counts or shapes are a caller's mistake,
 * reported as a ValidationError naming the field and the rule, never a NaN result.
 */
import { ValidationError } from '../../core/errors.js';

/** Throws a one-issue ValidationError. */
export function invalid(field: string, rule: string, message: string): never {
  throw new ValidationError([{ field, rule, message }]);
}

/** A count of trials: a positive integer. */
export function checkTrials(n: number, field: string): void {
  if (!Number.isInteger(n) || n <= 0) invalid(field, 'positive_integer', `must be a positive integer, got ${n}`);
}

/** A count of successes out of n: an integer in [0, n]. */
export function checkSuccesses(x: number, n: number, field: string): void {
  if (!Number.isInteger(x) || x < 0 || x > n) invalid(field, 'count_in_range', `must be an integer in [0, ${n}], got ${x}`);
}

/** A confidence level strictly between 0 and 1. */
export function checkConfidence(level: number, field = 'confidence'): void {
  if (!(level > 0 && level < 1)) invalid(field, 'open_unit_interval', `must be in (0, 1), got ${level}`);
}

/** Every value finite. */
export function checkFinite(values: ArrayLike<number>, field: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) invalid(`${field}[${i}]`, 'finite', `must be a finite number, got ${values[i]}`);
  }
}

/** At least `min` values. */
export function checkMinLength(values: ArrayLike<number>, min: number, field: string): void {
  if (values.length < min) invalid(field, 'min_length', `needs at least ${min} values, got ${values.length}`);
}

/** A variance (or variance of an estimate): finite and >= 0. */
export function checkVariance(v: number, field: string): void {
  if (!(v >= 0) || !Number.isFinite(v)) invalid(field, 'non_negative', `must be a finite number >= 0, got ${v}`);
}
