import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cholesky, choleskyInverse, choleskySolve, fromRows, identity, inverse, multiply, power, solve, toRows } from '../../../src/models/linalg/dense.js';
import { mulberry32 } from '../../../src/core/random.js';

function randomMatrix(n: number, seed: number) {
  const rng = mulberry32(seed);
  return fromRows(Array.from({ length: n }, () => Array.from({ length: n }, () => rng.next() * 2 - 1)));
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));
}

describe('dense linear algebra', () => {
  it('solves a hand-checked system with pivoting (zero on the diagonal)', () => {
    const a = fromRows([
      [0, 2, 1],
      [1, 1, 0],
      [2, 0, 3],
    ]);
    // x = (1, 2, 3): b = A x.
    expect(Array.from(solve(a, [7, 3, 11])).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([1, 2, 3]);
  });

  it('rejects a singular matrix with a typed error', () => {
    const a = fromRows([
      [1, 2],
      [2, 4],
    ]);
    expect(() => inverse(a)).toThrow(/singular/);
    expect(() => cholesky(a)).toThrow(/singular/);
  });

  it('inverse(A) A = I and Cholesky solves SPD systems (seeded random matrices)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer(), (n, seed) => {
        const a = randomMatrix(n, seed);
        // Random matrices are almost surely nonsingular; add n·I to keep the condition number tame.
        for (let i = 0; i < n; i++) a.data[i * n + i]! += n;
        const ok1 = maxAbsDiff(toRows(multiply(inverse(a), a)), toRows(identity(n))) < 1e-10;
        const spd = multiply(a, fromRows(toRows(a)[0]!.map((_, j) => toRows(a).map((row) => row[j]!)))); // A Aᵀ
        const ok2 = maxAbsDiff(toRows(multiply(choleskyInverse(spd), spd)), toRows(identity(n))) < 1e-9;
        const b = Array.from({ length: n }, (_, i) => i + 1);
        const x = choleskySolve(cholesky(spd), b);
        const back = toRows(spd).map((row) => row.reduce((s, v, j) => s + v * x[j]!, 0));
        return ok1 && ok2 && back.every((v, i) => Math.abs(v - b[i]!) < 1e-9 * n);
      }),
      { seed: 11, numRuns: 100 },
    );
  });

  it('power by squaring equals repeated multiplication', () => {
    const a = randomMatrix(4, 3);
    let slow = identity(4);
    for (let k = 0; k < 7; k++) slow = multiply(slow, a);
    expect(maxAbsDiff(toRows(power(a, 7)), toRows(slow))).toBeLessThan(1e-12);
    expect(toRows(power(a, 0))).toEqual(toRows(identity(4)));
  });
});
