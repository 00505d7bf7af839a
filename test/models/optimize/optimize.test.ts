import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bfgs } from '../../../src/models/optimize/bfgs.js';
import { nelderMead } from '../../../src/models/optimize/nelderMead.js';
import { hessianFromGradient, invert, numericHessian } from '../../../src/models/optimize/hessian.js';

const rosenbrock = (v: readonly number[]) => 100 * (v[1]! - v[0]! ** 2) ** 2 + (1 - v[0]!) ** 2;
const rosenbrockGradient = (v: readonly number[]) => [-400 * v[0]! * (v[1]! - v[0]! ** 2) - 2 * (1 - v[0]!), 200 * (v[1]! - v[0]! ** 2)];

describe('optimisers', () => {
  it('Nelder-Mead and BFGS find the Rosenbrock minimum (1, 1) from (-1.2, 1)', () => {
    const nm = nelderMead(rosenbrock, [-1.2, 1], { fTolerance: 1e-16, xTolerance: 1e-10 });
    expect(nm.x[0]).toBeCloseTo(1, 5);
    expect(nm.x[1]).toBeCloseTo(1, 5);
    const q = bfgs((v) => ({ value: rosenbrock(v), gradient: rosenbrockGradient(v) }), [-1.2, 1]);
    expect(q.converged).toBe(true);
    expect(q.x[0]).toBeCloseTo(1, 7);
    expect(q.x[1]).toBeCloseTo(1, 7);
  });

  it('BFGS minimises random positive-definite quadratics exactly (seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 9, maxLength: 9 }), fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 }), (m, c) => {
        // A = M M' + I is positive definite; the minimum of (x-c)' A (x-c) / 2 is c.
        const a = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? 1 : 0) + [0, 1, 2].reduce((s, k) => s + m[3 * i + k]! * m[3 * j + k]!, 0)));
        const fg = (x: readonly number[]) => {
          const d = x.map((xi, i) => xi - c[i]!);
          const g = a.map((row) => row.reduce((s, aij, j) => s + aij * d[j]!, 0));
          return { value: 0.5 * d.reduce((s, di, i) => s + di * g[i]!, 0), gradient: g };
        };
        const r = bfgs(fg, [0, 0, 0], { gradientTolerance: 1e-10 });
        r.x.forEach((xi, i) => expect(Math.abs(xi - c[i]!)).toBeLessThan(1e-6 * (1 + Math.abs(c[i]!))));
        // The numeric Hessian of a quadratic is A, and A times its inverse is the identity.
        const h = numericHessian((x) => fg(x).value, r.x);
        const fromGradient = hessianFromGradient((x) => fg(x).gradient, r.x);
        a.forEach((row, i) => row.forEach((aij, j) => expect(Math.abs(fromGradient[i]![j]! - aij)).toBeLessThan(1e-6 * (1 + Math.abs(aij)))));
        const inv = invert(h);
        a.forEach((row, i) => row.forEach((_, j) => expect(Math.abs(a[i]!.reduce((s, aik, k) => s + aik * inv[k]![j]!, 0) - (i === j ? 1 : 0))).toBeLessThan(1e-5)));
      }),
      { seed: 3, numRuns: 50 },
    );
  });

  it('inverting a singular matrix is a typed error', () => {
    expect(() => invert([[1, 2], [2, 4]])).toThrow(/singular/);
  });
});
