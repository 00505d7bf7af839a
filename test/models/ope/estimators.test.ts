import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mulberry32, type Rng } from '../../../src/core/random.js';
import { ValidationError } from '../../../src/core/errors.js';
import { bootstrapIntervals, effectiveSampleSize, estimate, ESTIMATORS, roundsOf, type OpeRounds } from '../../../src/models/ope/index.js';

interface Case {
  name: string;
  clip: number;
  switchAt: number;
  rounds: { reward: number; pscore: number; target: number; qLogged: number; qTarget: number }[];
  expected: Record<string, number>;
}
const reference = JSON.parse(readFileSync(new URL('../../fixtures/ope/ope_reference.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('OPE estimators against the Open Bandit Pipeline definitions (numpy fixture)', () => {
  for (const c of reference.cases) {
    it(`${c.name}: every estimator and the effective sample size agree to 1e-12`, () => {
      const d = roundsOf(c.rounds);
      const s = { clip: c.clip, switchAt: c.switchAt };
      for (const name of ESTIMATORS) expect(estimate(name, d, s), name).toBeCloseTo(c.expected[name]!, 12);
      expect(effectiveSampleSize(d)).toBeCloseTo(c.expected.ess!, 12);
    });
  }

  it('the hand case, worked out: weights 2, 2, 3.2, 0', () => {
    const d = roundsOf(reference.cases[0]!.rounds);
    // IPS = (2·1 + 2·0 + 3.2·1 + 0·0) / 4; SNIPS = 5.2 / 7.2.
    expect(estimate('ips', d)).toBeCloseTo(1.3, 14);
    expect(estimate('snips', d)).toBeCloseTo(5.2 / 7.2, 14);
    // Switch-DR at τ = 2.5 drops the 3.2 correction; clipped DR caps it at 3.
    expect(estimate('switch_dr', d, { clip: 3, switchAt: 2.5 })).toBeCloseTo((0.6 + 0.35 + 0.58 + 0.3) / 4 + (2 * 0.4 + 2 * -0.4) / 4, 12);
  });

  it('names the field and rule of a bad round', () => {
    const d = roundsOf([{ reward: 1, pscore: 0, target: 1, qLogged: 0, qTarget: 0 }]);
    expect(() => bootstrapIntervals(d)).toThrow(ValidationError);
    try {
      bootstrapIntervals(d);
    } catch (e) {
      expect((e as ValidationError).issues[0]).toMatchObject({ field: 'pscore[0]', rule: 'probability' });
    }
  });
});

/** A synthetic contextual log: K actions, a softmax logging policy, Bernoulli rewards with known means. */
function syntheticLog(rng: Rng, n: number, k: number, o: { noiseFree?: boolean } = {}): { d: OpeRounds; truth: number; q: Float64Array[] } {
  const d: OpeRounds = { reward: new Float64Array(n), pscore: new Float64Array(n), target: new Float64Array(n), qLogged: new Float64Array(n), qTarget: new Float64Array(n) };
  const q: Float64Array[] = [];
  let truth = 0;
  for (let i = 0; i < n; i++) {
    const x = rng.next();
    const mean = Float64Array.from({ length: k }, (_, a) => 1 / (1 + Math.exp(-(Math.sin(3 * x + a) * 2))));
    const logits = Array.from({ length: k }, (_, a) => Math.cos(x * (a + 1)));
    const z = logits.reduce((s, l) => s + Math.exp(l), 0);
    const pb = logits.map((l) => Math.exp(l) / z);
    // Target: mostly the action the logging policy likes least.
    const pe = pb.map((_, a) => (a === k - 1 ? 0.7 : 0.3 / (k - 1)));
    let u = rng.next();
    let a = 0;
    while (a < k - 1 && u >= pb[a]!) u -= pb[a++]!;
    const r = o.noiseFree ? mean[a]! : rng.next() < mean[a]! ? 1 : 0;
    let vt = 0;
    for (let b = 0; b < k; b++) vt += pe[b]! * mean[b]!;
    truth += vt;
    d.reward[i] = r;
    d.pscore[i] = pb[a]!;
    d.target[i] = pe[a]!;
    d.qLogged[i] = mean[a]!;
    d.qTarget[i] = vt;
    q.push(mean);
  }
  return { d, truth: truth / n, q };
}

describe('OPE properties on seeded synthetic logs', () => {
  it('IPS is unbiased: over 300 seeded logs its mean error is within 3 standard errors of 0', () => {
    const errs: number[] = [];
    for (let s = 0; s < 300; s++) {
      const { d, truth } = syntheticLog(mulberry32(1000 + s), 400, 4);
      errs.push(estimate('ips', d) - truth);
    }
    const mean = errs.reduce((a, b) => a + b, 0) / errs.length;
    const sd = Math.sqrt(errs.reduce((a, b) => a + (b - mean) ** 2, 0) / (errs.length - 1));
    expect(Math.abs(mean)).toBeLessThan((3 * sd) / Math.sqrt(errs.length));
    // And it is not trivially exact: single logs do err.
    expect(sd).toBeGreaterThan(0.005);
  });

  it('DR with a perfect reward model equals the truth exactly when rewards are noise-free, and DM too', () => {
    for (let s = 0; s < 20; s++) {
      const { d, truth } = syntheticLog(mulberry32(50 + s), 200, 5, { noiseFree: true });
      expect(estimate('dr', d)).toBeCloseTo(truth, 12);
      expect(estimate('switch_dr', d)).toBeCloseTo(truth, 12);
      expect(estimate('dm', d)).toBeCloseTo(truth, 12);
    }
  });

  it('DR with a perfect model is unbiased under Bernoulli noise and has less spread than IPS', () => {
    const dr: number[] = [];
    const ips: number[] = [];
    for (let s = 0; s < 200; s++) {
      const { d, truth } = syntheticLog(mulberry32(7000 + s), 300, 4);
      dr.push(estimate('dr', d) - truth);
      ips.push(estimate('ips', d) - truth);
    }
    const sd = (x: number[]) => Math.sqrt(x.reduce((a, b) => a + b * b, 0) / x.length);
    const mean = dr.reduce((a, b) => a + b, 0) / dr.length;
    expect(Math.abs(mean)).toBeLessThan((3 * sd(dr)) / Math.sqrt(dr.length));
    expect(sd(dr)).toBeLessThan(sd(ips));
  });

  it('the effective sample size is n when the policies agree and 1 when one round carries all the weight', () => {
    const same = roundsOf(Array.from({ length: 10 }, () => ({ reward: 1, pscore: 0.3, target: 0.3, qLogged: 0, qTarget: 0 })));
    expect(effectiveSampleSize(same)).toBeCloseTo(10, 12);
    const one = roundsOf(Array.from({ length: 10 }, (_, i) => ({ reward: 1, pscore: 0.3, target: i === 0 ? 0.3 : 0, qLogged: 0, qTarget: 0 })));
    expect(effectiveSampleSize(one)).toBeCloseTo(1, 12);
  });

  it('bootstrap intervals are seeded, contain their estimate and narrow with more rounds', () => {
    const small = syntheticLog(mulberry32(3), 200, 4).d;
    const big = syntheticLog(mulberry32(3), 3200, 4).d;
    const a = bootstrapIntervals(small, ['ips', 'dr'], { seed: 9, resamples: 300 });
    expect(bootstrapIntervals(small, ['ips', 'dr'], { seed: 9, resamples: 300 })).toEqual(a);
    const b = bootstrapIntervals(big, ['ips', 'dr'], { seed: 9, resamples: 300 });
    for (const k of ['ips', 'dr'] as const) {
      expect(a[k].low).toBeLessThanOrEqual(a[k].estimate);
      expect(a[k].high).toBeGreaterThanOrEqual(a[k].estimate);
      expect(b[k].high - b[k].low).toBeLessThan((a[k].high - a[k].low) / 2);
    }
  });
});

describe('the customer (cluster) bootstrap', () => {
  it('widens the interval when a customer\'s rounds move together, matches the round bootstrap when clusters are single rounds, and checks its length', () => {
    const rng = mulberry32(3);
    // 200 customers, 5 rounds each, every round of a customer with the same reward (perfectly dependent).
    const rows = Array.from({ length: 200 }, () => (rng.next() < 0.3 ? 1 : 0)).flatMap((r) => Array.from({ length: 5 }, () => ({ reward: r, pscore: 0.5, target: 0.5, qLogged: 0.3, qTarget: 0.3 })));
    const d = roundsOf(rows);
    const clusters = Uint32Array.from(rows, (_, i) => Math.floor(i / 5));
    const rounds = bootstrapIntervals(d, ['ips'], { resamples: 400, seed: 1 }).ips;
    const customers = bootstrapIntervals(d, ['ips'], { resamples: 400, seed: 1, clusters }).ips;
    expect(customers.estimate).toBe(rounds.estimate);
    // The honest interval is about √5 times as wide: 200 independent answers, not 1,000.
    const ratio = (customers.high - customers.low) / (rounds.high - rounds.low);
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.8);
    const singles = bootstrapIntervals(d, ['ips'], { resamples: 400, seed: 1, clusters: Uint32Array.from(rows, (_, i) => i) }).ips;
    expect((singles.high - singles.low) / (rounds.high - rounds.low)).toBeGreaterThan(0.8);
    expect((singles.high - singles.low) / (rounds.high - rounds.low)).toBeLessThan(1.25);
    expect(() => bootstrapIntervals(d, ['ips'], { clusters: new Uint32Array(3) })).toThrow(ValidationError);
  });
});
