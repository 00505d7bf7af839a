import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '../../../src/core/random.js';
import { analyseAbsorption, distributionAfter, nStepTransitions, probabilityWithin, stationaryDistribution } from '../../../src/models/markov/absorbing.js';
import { goodmanIntervals, wilsonInterval } from '../../../src/models/markov/intervals.js';
import { simulateSequences } from '../../../src/models/markov/simulate.js';
import { activityState, ACTIVITY_ABSORBING, ACTIVITY_STATES, stressState } from '../../../src/models/markov/states.js';
import { encodeSequences, fitMarkovChain } from '../../../src/models/markov/transitions.js';

const ref = JSON.parse(readFileSync(new URL('../../fixtures/markov/intervals_absorbing.json', import.meta.url), 'utf8')) as {
  wilson: { x: number; n: number; interval: [number, number] };
  goodman: { counts: number[]; intervals: [number, number][] };
  absorbing: { P: number[][]; N: number[][]; t: number[]; B: number[][]; P12: number[][] };
};

const close = (a: number, b: number, tol = 1e-12) => expect(Math.abs(a - b)).toBeLessThan(tol);

describe('fitting a chain from sequences', () => {
  // Counted by hand: active→active 2, active→declining 2, declining→active 1, declining→dormant 1,
  // dormant→dormant 1, dormant→closed 2; the gap in customer 4 breaks its only pair.
  const sequences = [
    ['active', 'active', 'declining', 'dormant', 'closed'],
    ['active', 'declining', 'active', 'active'],
    ['dormant', 'dormant', 'closed'],
    ['active', null, 'dormant'],
  ];
  const chain = fitMarkovChain(encodeSequences(sequences, ACTIVITY_STATES), { absorbing: ACTIVITY_ABSORBING });

  it('equals the counts-based MLE on hand-checked sequences', () => {
    expect(chain.counts).toEqual([
      [2, 2, 0, 0],
      [1, 0, 1, 0],
      [0, 0, 1, 2],
      [0, 0, 0, 0],
    ]);
    expect(chain.probabilities).toEqual([
      [0.5, 0.5, 0, 0],
      [0.5, 0, 0.5, 0],
      [0, 0, 1 / 3, 2 / 3],
      [0, 0, 0, 1],
    ]);
    expect(chain.transitions).toBe(9);
    expect(chain.customers).toBe(4);
    expect(chain.absorbing).toEqual(['closed']);
    close(chain.loglik, 4 * Math.log(0.5) + 2 * Math.log(0.5) + Math.log(1 / 3) + 2 * Math.log(2 / 3));
  });

  it('puts Wilson intervals around every probability', () => {
    const [lo, hi] = wilsonInterval(2, 4);
    close(chain.lower[0]![1]!, lo);
    close(chain.upper[0]![1]!, hi);
    chain.probabilities.forEach((row, i) => row.forEach((p, j) => expect(chain.lower[i]![j]! <= p && p <= chain.upper[i]![j]!).toBe(true)));
  });

  it('rejects an unknown state and an unknown absorbing state, naming them', () => {
    expect(() => encodeSequences([['active', 'asleep']], ACTIVITY_STATES)).toThrow(/"asleep"/);
    expect(() => fitMarkovChain(encodeSequences([['a', 'b']]), { absorbing: ['closed'] })).toThrow(/absorbing.*"closed"/);
  });

  it('treats a state seen only in the last period as absorbing, with a warning', () => {
    const c = fitMarkovChain(encodeSequences([['a', 'b']]));
    expect(c.absorbing).toEqual(['b']);
    expect(c.warnings[0]).toMatch(/"b" was never seen moving on/);
  });
});

describe('intervals against outside values', () => {
  it('Wilson 37/410 as statsmodels (1e-12)', () => {
    const [lo, hi] = wilsonInterval(ref.wilson.x, ref.wilson.n, 0.95);
    close(lo, ref.wilson.interval[0]);
    close(hi, ref.wilson.interval[1]);
  });

  it('Goodman simultaneous intervals with scipy chi-square quantile (1e-12)', () => {
    goodmanIntervals(ref.goodman.counts).forEach(([lo, hi], i) => {
      close(lo, ref.goodman.intervals[i]![0]);
      close(hi, ref.goodman.intervals[i]![1]);
    });
  });
});

describe('absorbing chains', () => {
  it("the drunkard's walk (Grinstead & Snell, Example 11.13): N, t and B", () => {
    const p = [
      [1, 0, 0, 0, 0],
      [0.5, 0, 0.5, 0, 0],
      [0, 0.5, 0, 0.5, 0],
      [0, 0, 0.5, 0, 0.5],
      [0, 0, 0, 0, 1],
    ];
    const a = analyseAbsorption(p, ['0', '1', '2', '3', '4']);
    expect(a.transient).toEqual(['1', '2', '3']);
    expect(a.absorbing).toEqual(['0', '4']);
    const want = [
      [1.5, 1, 0.5],
      [1, 2, 1],
      [0.5, 1, 1.5],
    ];
    a.fundamental.forEach((row, i) => row.forEach((v, j) => close(v, want[i]![j]!)));
    [3, 4, 3].forEach((t, i) => close(a.expectedPeriodsToAbsorption[i]!, t));
    [
      [0.75, 0.25],
      [0.5, 0.5],
      [0.25, 0.75],
    ].forEach((row, i) => row.forEach((b, j) => close(a.absorptionProbabilities[i]![j]!, b)));
  });

  it('a 5-state chain as numpy: N, t, B and P^12 (1e-12)', () => {
    const a = analyseAbsorption(ref.absorbing.P, ['active', 'declining', 'dormant', 'closed', 'moved']);
    a.fundamental.forEach((row, i) => row.forEach((v, j) => close(v, ref.absorbing.N[i]![j]!)));
    a.expectedPeriodsToAbsorption.forEach((t, i) => close(t, ref.absorbing.t[i]!));
    a.absorptionProbabilities.forEach((row, i) => row.forEach((b, j) => close(b, ref.absorbing.B[i]![j]!)));
    nStepTransitions(ref.absorbing.P, 12).forEach((row, i) => row.forEach((v, j) => close(v, ref.absorbing.P12[i]![j]!)));
    probabilityWithin(ref.absorbing.P, 3, 12).forEach((v, i) => close(v, ref.absorbing.P12[i]![3]!));
  });

  it('random absorbing chains: N (I - Q) = I, rows of B sum to 1, Pⁿ tends to B, E[T] = Σ P(T > n)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 6 }), (seed, transient) => {
        const rng = mulberry32(seed);
        const k = transient + 2;
        const p = Array.from({ length: k }, (_, i) => {
          if (i >= transient) return Array.from({ length: k }, (_, j) => (j === i ? 1 : 0));
          const w = Array.from({ length: k }, () => rng.next() + 0.05);
          const s = w.reduce((x, y) => x + y, 0);
          return w.map((v) => v / s);
        });
        const a = analyseAbsorption(p, p.map((_, i) => `s${i}`));
        for (let i = 0; i < transient; i++) {
          for (let j = 0; j < transient; j++) {
            let v = 0;
            for (let m = 0; m < transient; m++) v += a.fundamental[i]![m]! * ((m === j ? 1 : 0) - p[m]![j]!);
            if (Math.abs(v - (i === j ? 1 : 0)) > 1e-10) return false;
          }
          if (Math.abs(a.absorptionProbabilities[i]!.reduce((s, v) => s + v, 0) - 1) > 1e-12) return false;
        }
        const far = nStepTransitions(p, 400);
        // E[T] from state 0 = Σ_n P(still transient after n periods), by stepping the distribution.
        let survivalSum = 0;
        let dist: number[] = p.map((_, j) => (j === 0 ? 1 : 0));
        for (let n = 0; n < 400; n++) {
          survivalSum += dist.slice(0, transient).reduce((x, y) => x + y, 0);
          dist = dist.map((_, j) => dist.reduce((acc, w, i) => acc + w * p[i]![j]!, 0));
        }
        return (
          a.absorptionProbabilities.every((row, i) => row.every((b, j) => Math.abs(far[i]![transient + j]! - b) < 1e-9)) &&
          Math.abs(survivalSum - a.expectedPeriodsToAbsorption[0]!) < 1e-8
        );
      }),
      { seed: 17, numRuns: 60 },
    );
  });

  it('a chain with no absorbing state is rejected; an ergodic chain has its stationary distribution', () => {
    const p = [
      [0.9, 0.1],
      [0.3, 0.7],
    ];
    expect(() => analyseAbsorption(p, ['a', 'b'])).toThrow(/no absorbing state/);
    const pi = stationaryDistribution(p);
    close(pi[0]!, 0.75);
    close(pi[1]!, 0.25);
    distributionAfter(p, pi, 5).forEach((v, i) => close(v, pi[i]!));
    expect(() => stationaryDistribution(ref.absorbing.P)).toThrow(/irreducible/);
  });
});

describe('fitting simulated chains (seeded)', () => {
  const truth = [
    [0.85, 0.1, 0.04, 0.01],
    [0.3, 0.5, 0.15, 0.05],
    [0.05, 0.1, 0.7, 0.15],
    [0, 0, 0, 1],
  ];

  it('recovers the true matrix from 20,000 customers x 12 months', () => {
    const seq = simulateSequences(truth, ACTIVITY_STATES, [0.7, 0.2, 0.1, 0], 20_000, 12, mulberry32(1));
    const chain = fitMarkovChain(seq, { absorbing: ['closed'], interval: 'goodman' });
    chain.probabilities.forEach((row, i) =>
      row.forEach((p, j) => {
        const n = chain.counts[i]!.reduce((s, c) => s + c, 0) || 1;
        expect(Math.abs(p - truth[i]![j]!)).toBeLessThan(5 * Math.sqrt((truth[i]![j]! * (1 - truth[i]![j]!)) / n) + 1e-12);
      }),
    );
  });

  it('Wilson intervals cover the truth about 95% of the time; whole Goodman rows about 95% or more (seeded: 0.952, 0.950)', () => {
    let cells = 0;
    let covered = 0;
    let rows = 0;
    let rowsCovered = 0;
    // 150 customers x 6 months: enough moves per row for the large-sample intervals to hold.
    for (let rep = 0; rep < 200; rep++) {
      const seq = simulateSequences(truth, ACTIVITY_STATES, [0.5, 0.3, 0.2, 0], 150, 6, mulberry32(1000 + rep));
      const w = fitMarkovChain(seq, { absorbing: ['closed'] });
      const g = fitMarkovChain(seq, { absorbing: ['closed'], interval: 'goodman' });
      for (let i = 0; i < 3; i++) {
        rows++;
        let all = true;
        for (let j = 0; j < 4; j++) {
          const t = truth[i]![j]!;
          cells++;
          if (w.lower[i]![j]! <= t && t <= w.upper[i]![j]!) covered++;
          if (!(g.lower[i]![j]! <= t && t <= g.upper[i]![j]!)) all = false;
        }
        if (all) rowsCovered++;
      }
    }
    expect(covered / cells).toBeGreaterThan(0.93);
    expect(covered / cells).toBeLessThan(0.97);
    expect(rowsCovered / rows).toBeGreaterThan(0.93);
  });
});

describe('state rules', () => {
  it('classifies activity months', () => {
    expect(activityState({ interactions: 20, baseline: 25, closed: false })).toBe('active');
    expect(activityState({ interactions: 5, baseline: 25, closed: false })).toBe('declining');
    expect(activityState({ interactions: 0, baseline: 25, closed: false })).toBe('dormant');
    expect(activityState({ interactions: 30, baseline: 25, closed: true })).toBe('closed');
  });

  it('classifies credit months by days past due and limit use', () => {
    expect(stressState({ daysPastDue: 0, limitUtilisation: 0.2, defaulted: false })).toBe('current');
    expect(stressState({ daysPastDue: 0, limitUtilisation: 0.95, defaulted: false })).toBe('stretched');
    expect(stressState({ daysPastDue: 45, limitUtilisation: 0.2, defaulted: false })).toBe('arrears30');
    expect(stressState({ daysPastDue: 61, limitUtilisation: 0.2, defaulted: false })).toBe('arrears60');
    expect(stressState({ daysPastDue: 120, limitUtilisation: 0.2, defaulted: false })).toBe('arrears90plus');
    expect(stressState({ daysPastDue: 0, limitUtilisation: 0, defaulted: true })).toBe('default');
  });
});
