/**
 * parseDecideRequest checks the common request by hand and leaves the rest to the zod
 * schema: on every request here it must give what the schema gives (the same fields in the
 * same order, defaults filled in) or the schema's VALIDATION_FAILED.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { ValidationError } from '../../src/core/errors.js';
import { DecideRequest, parseDecideRequest } from '../../src/decisioning/service.js';

/** Mostly the first (well-formed) choice, else any. */
const pick = <T>(rng: { next(): number }, xs: readonly T[]): T => (rng.next() < 0.7 ? xs[0]! : xs[Math.floor(rng.next() * xs.length)]!);

function randomRequest(rng: { next(): number }): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  const fields: [string, () => unknown][] = [
    ['customerId', () => pick(rng, ['c1', '', 'x'.repeat(128), 'x'.repeat(129), 7, undefined])],
    ['channel', () => pick(rng, ['in_app', 'email', 'push', 'sms', 'web', 'IN_APP', undefined, null])],
    ['n', () => pick(rng, [1, 3, 20, 0, 21, 2.5, -1, '3', Number.NaN, undefined])],
    ['context', () => pick(rng, [{ page: 'home' }, {}, { page: 'home', amount: 12.5, fresh: true }, { b: 1, a: 'x' }, { Bad: 1 }, { page: 'x'.repeat(201) }, { n: Number.POSITIVE_INFINITY }, { o: {} }, { x9_: null }, [], null, 'ctx', undefined])],
    ['sessionId', () => pick(rng, ['s1', '', 'y'.repeat(129), 5, undefined])],
    ['deliver', () => pick(rng, [true, false, 'yes', undefined])],
    ['only', () => pick(rng, [undefined, { families: ['savings'] }, { actions: [] }])],
    ['extra', () => pick(rng, [undefined, 1])],
  ];
  // Fields in a random order, some left out, some present as undefined.
  for (const [k, v] of fields.sort(() => rng.next() - 0.5)) {
    const u = rng.next();
    if (k === 'customerId' || k === 'channel' ? u < 0.9 : u < 0.4) r[k] = v();
  }
  return r;
}

describe('parseDecideRequest', () => {
  it('gives what the schema gives, field order included, or its validation error', () => {
    const rng = mulberry32(21);
    let valid = 0;
    for (let i = 0; i < 5000; i++) {
      const req = randomRequest(rng);
      const schema = DecideRequest.safeParse(req);
      if (schema.success) {
        valid++;
        const got = parseDecideRequest(req as never);
        expect(JSON.stringify(got)).toBe(JSON.stringify(schema.data));
        expect(Object.keys(got)).toEqual(Object.keys(schema.data));
        expect(got).toEqual(schema.data);
        expect(got.context).not.toBe(req.context); // a copy, as the schema makes
      } else {
        expect(() => parseDecideRequest(req as never)).toThrow(ValidationError);
      }
    }
    expect(valid).toBeGreaterThan(1000);
  });
});
