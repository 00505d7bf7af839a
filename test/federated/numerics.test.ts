import { describe, expect, it } from 'vitest';
import { mulberry32, normal } from '../../src/core/random.js';
import { addInto, decode, encode, subtractInto, WORDS } from '../../src/federated/fixedPoint.js';
import { applyMasks, roundKeys } from '../../src/federated/masks.js';
import { calibrateNoise, epsilonOf, stepSensitivity } from '../../src/federated/privacy.js';
import { normalCdf } from '../../src/models/stats/normal.js';
import { cutsFromSummaries, sketchSummary } from '../../src/models/gbdt/index.js';

describe('fixed point mod 2^128', () => {
  it('round-trips values to 2^-64 and sums exactly (seeded, 200 cases)', () => {
    const rng = mulberry32(7);
    for (let c = 0; c < 200; c++) {
      const n = 1 + Math.floor(rng.next() * 20);
      const scale = 10 ** Math.floor(rng.next() * 12 - 4);
      const a = Float64Array.from({ length: n }, () => normal(rng) * scale);
      const b = Float64Array.from({ length: n }, () => normal(rng) * scale);
      const da = decode(encode(a));
      a.forEach((v, i) => expect(Math.abs(da[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -52 + 2 ** -64));
      const s = encode(a);
      addInto(s, encode(b));
      const ds = decode(s);
      a.forEach((v, i) => expect(Math.abs(ds[i]! - (v + b[i]!))).toBeLessThanOrEqual(Math.abs(v + b[i]!) * 2 ** -51 + Math.abs(v) * 2 ** -52 + 2 ** -62));
      subtractInto(s, encode(b));
      expect(Array.from(s)).toEqual(Array.from(encode(a)));
    }
  });

  it('refuses values it cannot hold', () => {
    expect(() => encode(Float64Array.from([Number.NaN]))).toThrow(/values\[0\]/);
    expect(() => encode(Float64Array.from([2 ** 62]))).toThrow(/fixed_point_range/);
    expect(Array.from(decode(encode(Float64Array.from([-(2 ** 61), -0, 1e-30]))))).toEqual([-(2 ** 61), 0, 0]);
  });
});

describe('pairwise masks', () => {
  it('cancel exactly in the sum over every participant, and hide each one (seeded, 20 cases)', () => {
    const rng = mulberry32(11);
    for (let c = 0; c < 20; c++) {
      const k = 2 + Math.floor(rng.next() * 4);
      const names = Array.from({ length: k }, (_, i) => `bank-${String.fromCharCode(97 + i)}`);
      const keys = names.map(() => roundKeys());
      const peers = new Map(names.map((n, i) => [n, keys[i]!.publicKey]));
      const n = 1 + Math.floor(rng.next() * 50);
      const plains = names.map(() => Float64Array.from({ length: n }, () => normal(rng) * 100));
      const total = new Uint32Array(n * WORDS);
      const plainTotal = new Uint32Array(n * WORDS);
      names.forEach((name, i) => {
        const w = encode(plains[i]!);
        addInto(plainTotal, w);
        applyMasks(w, name, keys[i]!.privateKey, peers, `session|${c}|0`, 3);
        // Alone, a masked vector decodes to numbers of the size of the ring, not the data.
        for (const v of decode(w)) expect(Math.abs(v)).toBeGreaterThan(1e6);
        addInto(total, w);
      });
      expect(Array.from(total)).toEqual(Array.from(plainTotal));
    }
  });

  it('another step draws another mask (a reused mask would leak the difference of two vectors)', () => {
    const a = roundKeys();
    const b = roundKeys();
    const peers = new Map([
      ['bank-a', a.publicKey],
      ['bank-b', b.publicKey],
    ]);
    const w1 = encode(Float64Array.from([1, 2, 3]));
    const w2 = encode(Float64Array.from([1, 2, 3]));
    applyMasks(w1, 'bank-a', a.privateKey, peers, 'ctx', 0);
    applyMasks(w2, 'bank-a', a.privateKey, peers, 'ctx', 1);
    expect(Array.from(w1)).not.toEqual(Array.from(w2));
  });
});

describe('privacy accountant', () => {
  // The exact privacy curve of the Gaussian mechanism (Balle & Wang 2018, Theorem 8): k releases
  // with noise multiplier z compose to one with sensitivity/σ = sqrt(k)/z (Dong, Roth & Su 2019).
  const exactDelta = (eps: number, mu: number) => normalCdf(mu / 2 - eps / mu) - Math.exp(eps) * normalCdf(-mu / 2 - eps / mu);
  const exactEpsilon = (mu: number, delta: number) => {
    let lo = 0;
    let hi = 100;
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (exactDelta(mid, mu) > delta) lo = mid;
      else hi = mid;
    }
    return hi;
  };

  it('RDP epsilon is an upper bound on the exact Gaussian epsilon, and not a loose one', () => {
    for (const [k, z] of [
      [1, 1],
      [10, 5],
      [121, 20],
      [241, 60],
      [1000, 100],
    ] as const) {
      const ours = epsilonOf(k, z, 1e-6);
      const exact = exactEpsilon(Math.sqrt(k) / z, 1e-6);
      expect(ours, `k=${k} z=${z}`).toBeGreaterThanOrEqual(exact);
      expect(ours / exact, `k=${k} z=${z}`).toBeLessThan(1.6);
    }
  });

  it('calibrates the noise that spends the budget', () => {
    const z = calibrateNoise(8, 1e-6, 161);
    expect(epsilonOf(161, z, 1e-6)).toBeLessThanOrEqual(8);
    expect(epsilonOf(161, z * 0.99, 1e-6)).toBeGreaterThan(8);
    expect(stepSensitivity(4)).toBeCloseTo(Math.sqrt(4 * (2 + 1 / 16)), 12);
    expect(() => calibrateNoise(0, 1e-6, 10)).toThrow(/epsilon/);
  });
});

describe('merged quantile summaries', () => {
  it('summaries of disjoint parts give the cuts of the whole when nothing was pruned, and nearby cuts when it was', () => {
    const rng = mulberry32(5);
    const small = Float64Array.from({ length: 30 }, () => Math.round(normal(rng) * 4));
    const parts = [small.subarray(0, 10), small.subarray(10, 22), small.subarray(22)];
    const merged = cutsFromSummaries(parts.map((p) => sketchSummary(Float64Array.from(p), null, 16)), 16);
    const distinct = [...new Set(small)].sort((a, b) => a - b);
    expect(Array.from(merged.subarray(0, merged.length - 1))).toEqual(distinct.slice(1));
    const big = Float64Array.from({ length: 20000 }, () => normal(rng));
    const bigParts = [big.subarray(0, 5000), big.subarray(5000, 12000), big.subarray(12000)];
    const cuts = cutsFromSummaries(bigParts.map((p) => sketchSummary(Float64Array.from(p), null, 32)), 32);
    const sorted = Float64Array.from(big).sort();
    // Each cut sits near its quantile: rank error within 2% of the rows.
    for (let i = 0; i < cuts.length - 1; i++) {
      let rank = 0;
      while (rank < sorted.length && sorted[rank]! < cuts[i]!) rank++;
      expect(Math.abs(rank / sorted.length - (i + 1) / 32)).toBeLessThan(0.02);
    }
  });
});
