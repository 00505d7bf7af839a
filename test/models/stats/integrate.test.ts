import { describe, expect, it } from 'vitest';
import { integrate } from '../../../src/models/stats/integrate.js';
import { mulberry32 } from '../../../src/core/random.js';

describe('adaptive Simpson quadrature', () => {
  // Singular integrands are not its job: the Beta comparison substitutes them away first.
  it('known integrals within 1e-12: a narrow normal peak, sin on [0, π]', () => {
    const s = 1e-3;
    const peak = integrate((x) => Math.exp(-0.5 * ((x - 0.3) / s) ** 2) / (s * Math.sqrt(2 * Math.PI)), 0, 1);
    expect(Math.abs(peak - 1)).toBeLessThan(1e-12);
    expect(Math.abs(integrate(Math.sin, 0, Math.PI) - 2)).toBeLessThan(1e-12);
  });

  it('a noisy integrand stops at the evaluation budget instead of recursing forever', () => {
    const rng = mulberry32(3);
    let calls = 0;
    const value = integrate(() => {
      calls++;
      return 1 + 1e-9 * rng.next();
    }, 0, 1, { absoluteTolerance: 1e-30, relativeTolerance: 0, maxEvaluations: 5000 });
    expect(Math.abs(value - 1)).toBeLessThan(1e-8);
    expect(calls).toBeLessThan(5200); // the budget is checked per panel pair
  });
});
