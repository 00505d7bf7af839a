import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32, normal, type Rng } from '../../../src/core/random.js';
import { harrellConcordance } from '../../../src/models/survival/concordance.js';
import { fitCox } from '../../../src/models/survival/cox.js';
import { sortSurvival } from '../../../src/models/survival/coxData.js';
import { evaluateCox } from '../../../src/models/survival/coxLikelihood.js';
import { kaplanMeier } from '../../../src/models/survival/kaplanMeier.js';

/** Pair counts by brute force over all pairs, R's rules (the slow, obviously right way). */
function bruteConcordance(time: number[], event: number[], risk: number[], strata: number[]) {
  let concordant = 0;
  let discordant = 0;
  let tiedRisk = 0;
  let tiedTime = 0;
  let tiedTimeAndRisk = 0;
  for (let i = 0; i < time.length; i++)
    for (let j = 0; j < time.length; j++) {
      if (i === j || strata[i] !== strata[j] || event[i] !== 1) continue;
      if (time[i]! === time[j]! && event[j] === 1) {
        if (i < j) {
          if (risk[i] === risk[j]) tiedTimeAndRisk++;
          else tiedTime++;
        }
        continue;
      }
      // i died first (or j was censored at the same time): j outlived i.
      if (time[i]! > time[j]!) continue;
      if (risk[i]! > risk[j]!) concordant++;
      else if (risk[i]! < risk[j]!) discordant++;
      else tiedRisk++;
    }
  return { concordant, discordant, tiedRisk, tiedTime, tiedTimeAndRisk };
}

/** Exponential survival times with hazard exp(x·β), censored at random. */
function simulate(rng: Rng, n: number, beta: number[], roundTo = 0) {
  const p = beta.length;
  const x: number[] = [];
  const time: number[] = [];
  const event: number[] = [];
  for (let i = 0; i < n; i++) {
    let lp = 0;
    for (let j = 0; j < p; j++) {
      const v = normal(rng);
      x.push(v);
      lp += v * beta[j]!;
    }
    const t = -Math.log(1 - rng.next()) / Math.exp(lp);
    const c = -Math.log(1 - rng.next()) * 2;
    const obs = Math.min(t, c);
    time.push(roundTo > 0 ? Math.ceil(obs / roundTo) * roundTo : obs);
    event.push(t <= c ? 1 : 0);
  }
  return { time, event, x, p };
}

describe('survival properties (seeded)', () => {
  it('the Fenwick-tree concordance equals the all-pairs count, with ties and strata', () => {
    const small = fc.integer({ min: 0, max: 5 });
    fc.assert(
      fc.property(fc.array(fc.tuple(small, fc.integer({ min: 0, max: 1 }), small, fc.integer({ min: 0, max: 1 })), { minLength: 1, maxLength: 40 }), (rows) => {
        const time = rows.map((r) => r[0]);
        const event = rows.map((r) => r[1]);
        const risk = rows.map((r) => r[2]);
        const strata = rows.map((r) => r[3]);
        const fast = harrellConcordance(time, event, risk, strata);
        const { cIndex: _c, ...counts } = fast;
        expect(counts).toEqual(bruteConcordance(time, event, risk, strata));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('the score is zero at the fitted coefficients (Efron and Breslow, tied times)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom<'efron' | 'breslow'>('efron', 'breslow'), (seed, ties) => {
        const d = simulate(mulberry32(seed), 150, [0.5, -0.3, 0.1], 0.1);
        const model = fitCox(d, { ties });
        const ev = evaluateCox(sortSurvival(d), model.beta, ties);
        return model.converged && Array.from(ev.score).every((s) => Math.abs(s) < 1e-6);
      }),
      { seed: 1, numRuns: 30 },
    );
  });

  it('Efron equals Breslow when no times are tied; row order does not matter', () => {
    const d = simulate(mulberry32(5), 300, [0.7, -0.4], 0);
    const efron = fitCox(d, { ties: 'efron' });
    const breslow = fitCox(d, { ties: 'breslow' });
    efron.beta.forEach((b, j) => expect(b).toBeCloseTo(breslow.beta[j]!, 12));
    expect(efron.loglik.final).toBeCloseTo(breslow.loglik.final, 9);
    const order = Array.from({ length: 300 }, (_, i) => 299 - i);
    const reversed = {
      time: order.map((i) => d.time[i]!),
      event: order.map((i) => d.event[i]!),
      x: order.flatMap((i) => [d.x[2 * i]!, d.x[2 * i + 1]!]),
      p: 2,
    };
    fitCox(reversed).beta.forEach((b, j) => expect(b).toBeCloseTo(efron.beta[j]!, 12));
  });

  it('recovers the simulated coefficients from 5,000 customers', () => {
    const truth = [0.5, -0.3, 0.1];
    const model = fitCox(simulate(mulberry32(9), 5000, truth, 0));
    model.coefficients.forEach((c, j) => expect(Math.abs(c.coef - truth[j]!)).toBeLessThan(4 * c.se));
  });

  it('scaling a covariate by c divides its coefficient by c', () => {
    const d = simulate(mulberry32(3), 200, [0.4, 0.2], 0.05);
    const scaled = { ...d, x: d.x.map((v, k) => (k % 2 === 0 ? v * 10 : v)) };
    const a = fitCox(d);
    const b = fitCox(scaled);
    expect(b.beta[0]! * 10).toBeCloseTo(a.beta[0]!, 9);
    expect(b.beta[1]!).toBeCloseTo(a.beta[1]!, 9);
    expect(b.loglik.final).toBeCloseTo(a.loglik.final, 8);
  });

  it('one stratum is the unstratified model', () => {
    const d = simulate(mulberry32(4), 200, [0.3], 0.1);
    const a = fitCox(d);
    const b = fitCox({ ...d, strata: d.time.map(() => 7) });
    expect(b.beta[0]!).toBeCloseTo(a.beta[0]!, 12);
  });

  it('Kaplan-Meier without censoring is the share still alive', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 60 }), (times) => {
        const km = kaplanMeier(times, times.map(() => 1));
        return km.time.every((t, i) => Math.abs(km.survival[i]! - times.filter((u) => u > t).length / times.length) < 1e-12);
      }),
      { seed: 8, numRuns: 200 },
    );
  });

  it('rejects malformed data with the field named', () => {
    expect(() => fitCox({ time: [1, 2], event: [1, 3], x: [0, 1], p: 1 })).toThrow(/event\[1\].*binary/);
    expect(() => fitCox({ time: [1, 2], event: [1, 0], x: [0], p: 1 })).toThrow(/x: has 1 values/);
  });
});

describe('Cox input errors', () => {
  it('names the covariates when they are collinear', () => {
    const x = [1, 2, 2, 4, 3, 6, 4, 8, 5, 10];
    expect(() => fitCox({ time: [1, 2, 3, 4, 5], event: [1, 1, 0, 1, 1], x, p: 2 }, { names: ['balance', 'balanceTwice'] })).toThrow(
      /singular.*balance, balanceTwice/,
    );
  });
});
