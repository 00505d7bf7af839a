/** Per-row base margins (XGBoost's base_margin): the trees learn around an effect known from elsewhere. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/core/random.js';
import { marginOfRow, flatten, train } from '../../../src/models/gbdt/index.js';
import { randomProblem } from './helpers.js';

const small = { rounds: 10, max_depth: 3, eta: 0.3 };

describe('per-row base margin', () => {
  it('a constant base margin c grows the same trees as a base score shifted by c (seeded, random data)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.double({ min: -2, max: 2, noNaN: true }), (seed, c) => {
        const { X, y } = randomProblem(seed, 200, 3);
        const shifted = train({ features: X, label: y }, { ...small, seed, baseScore: 1 / (1 + Math.exp(-(Math.log(0.3 / 0.7) + c))) }).model;
        const offset = train({ features: X, label: y, baseMargin: new Float64Array(X.nRows).fill(c) }, { ...small, seed, baseScore: 0.3 }).model;
        const a = flatten(shifted);
        const b = flatten(offset);
        for (let r = 0; r < 20; r++) {
          const x = X.values.subarray(r * 3, r * 3 + 3);
          // The offset model does not hold c: whoever scores it adds it.
          expect(marginOfRow(b, x) + c).toBeCloseTo(marginOfRow(a, x), 8);
        }
      }),
      { numRuns: 10, seed: 21 },
    );
  });

  it('trees learn what the offset leaves: with the true effect as offset, a model of the rest fits better than without', () => {
    const { X, y } = randomProblem(5, 2000, 3);
    // A known effect on top of the labels' own: rows with feature 0 above 0 are nudged up.
    const offset = Float64Array.from({ length: X.nRows }, (_, i) => (X.values[i * 3]! > 0 ? 1 : -1));
    const rng = mulberry32(9);
    const label = Float64Array.from(y, (v, i) => (rng.next() < 1 / (1 + Math.exp(-(offset[i]! + (v ? 1 : -1)))) ? 1 : 0));
    const loss = (m: (i: number) => number) => {
      let s = 0;
      for (let i = 0; i < X.nRows; i++) {
        const p = 1 / (1 + Math.exp(-m(i)));
        s -= label[i]! ? Math.log(p) : Math.log(1 - p);
      }
      return s / X.nRows;
    };
    const withOffset = flatten(train({ features: X, label, baseMargin: offset }, { ...small, rounds: 3, seed: 1 }).model);
    const without = flatten(train({ features: X, label }, { ...small, rounds: 3, seed: 1 }).model);
    const row = (i: number) => X.values.subarray(i * 3, i * 3 + 3);
    expect(loss((i) => marginOfRow(withOffset, row(i)) + offset[i]!)).toBeLessThan(loss((i) => marginOfRow(without, row(i))));
    // And the trees did learn around it: a model grown without the offset, with the offset added
    // when scoring, counts the effect twice (were baseMargin ignored, the two would be the same model).
    expect(loss((i) => marginOfRow(withOffset, row(i)) + offset[i]!)).toBeLessThan(loss((i) => marginOfRow(without, row(i)) + offset[i]!));
  });

  it('must fit the rows, be finite and not go with a validation set', () => {
    const { X, y } = randomProblem(1, 4, 2);
    expect(() => train({ features: X, label: y, baseMargin: new Float64Array(3) }, { rounds: 1 })).toThrow(/baseMargin/);
    expect(() => train({ features: X, label: y, baseMargin: Float64Array.from([0, Number.NaN, 0, 0]) }, { rounds: 1 })).toThrow(/baseMargin\[1\]/);
    expect(() => train({ features: X, label: y, baseMargin: new Float64Array(4), validation: { features: X, label: y } }, { rounds: 1 })).toThrow(/validation/);
  });
});
