/** Seeded property tests of the learner, scoring, TreeSHAP and persistence. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { flatten, loadModel, marginBatch, marginOfRow, saveModel, train, treeExplainer } from '../../../src/models/gbdt/index.js';
import { leafIndex, treeDepth } from '../../../src/models/gbdt/tree.js';
import { auc } from '../../../src/models/metrics/index.js';
import { randomProblem } from './helpers.js';

const small = { rounds: 15, max_depth: 4, eta: 0.3 };

describe('monotone constraints', () => {
  it('hold along the constrained features for any row, on random data', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.boolean(), (seed, lossguide) => {
        const { X, y } = randomProblem(seed, 300, 4);
        const { model } = train({ features: X, label: y }, {
          ...small,
          seed,
          subsample: 0.8,
          monotone: [1, -1, 0, 0],
          ...(lossguide ? { growPolicy: 'lossguide', maxLeaves: 12, maxDepth: 0 } : {}),
        });
        const e = flatten(model);
        const grid = [-5, -2, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2, 5];
        for (let r = 0; r < 20; r++) {
          const x = Array.from(X.values.subarray(r * 4, r * 4 + 4));
          for (const [f, dir] of [[0, 1], [1, -1]] as const) {
            let prev = dir * -Infinity;
            for (const v of grid) {
              x[f] = v;
              const m = marginOfRow(e, x);
              if (dir > 0) expect(m).toBeGreaterThanOrEqual(prev - 1e-12);
              else expect(m).toBeLessThanOrEqual(prev + 1e-12);
              prev = m;
            }
            x[f] = X.values[r * 4 + f]!;
          }
        }
      }),
      { seed: 11, numRuns: 12 },
    );
  });

  it('still learn the signal (AUC well above chance)', () => {
    const { X, y } = randomProblem(5, 600, 4);
    const { model } = train({ features: X, label: y }, { ...small, monotone: { f0: 1, f1: -1 } });
    expect(auc(marginBatch(flatten(model), X), y)).toBeGreaterThan(0.8);
  });
});

describe('TreeSHAP', () => {
  it('contributions plus bias sum to the margin, rows with missing values included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
        const { X, y } = randomProblem(seed, 200, 5, 0.2);
        const { model } = train({ features: X, label: y }, { ...small, seed, colsampleBytree: 0.8 });
        const ex = treeExplainer(model);
        const e = flatten(model);
        for (let r = 0; r < 30; r++) {
          const phi = ex.contributions(X.values, r * 5);
          const sum = phi.reduce((s, v) => s + v, 0);
          expect(Math.abs(sum - marginOfRow(e, X.values, r * 5))).toBeLessThan(1e-9);
        }
      }),
      { seed: 12, numRuns: 10 },
    );
  });

  it('gives zero to a feature the model never splits on', () => {
    const { X, y } = randomProblem(3, 200, 4);
    const { model } = train({ features: X, label: y }, { ...small, monotone: null, colsampleBytree: 1 });
    const used = new Set(model.trees.flatMap((t) => Array.from(t.feature).filter((f) => f >= 0)));
    const ex = treeExplainer(model);
    const phi = ex.contributions(X.values, 0);
    for (let f = 0; f < 4; f++) if (!used.has(f)) expect(phi[f]).toBe(0);
  });
});

describe('flat scoring', () => {
  it('equals walking each tree node by node, for rows with missing values and values on the thresholds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
        const { X, y } = randomProblem(seed, 200, 4, 0.1);
        const { model } = train({ features: X, label: y }, { ...small, seed, rounds: 9 });
        const e = flatten(model);
        // Split values of each feature, to put a row exactly on one.
        const thresholds: number[][] = [[], [], [], []];
        for (const t of model.trees) t.feature.forEach((f, k) => f >= 0 && thresholds[f]!.push(t.threshold[k]!));
        for (let r = 0; r < 40; r++) {
          const x = Array.from(X.values.subarray(r * 4, r * 4 + 4));
          const onSplit = thresholds[r % 4]!;
          if (r % 3 === 0 && onSplit.length > 0) x[r % 4] = onSplit[r % onSplit.length]!;
          const expected = model.trees.reduce((s, t) => s + t.value[leafIndex(t, x, 0)]!, model.baseMargin);
          expect(marginOfRow(e, x)).toBeCloseTo(expected, 12);
        }
      }),
      { seed: 14, numRuns: 10 },
    );
  });
});

describe('persistence and determinism', () => {
  it('save -> load gives identical scores', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom('binary:logistic', 'reg:squarederror', 'count:poisson'), (seed, objective) => {
        const { X, y } = randomProblem(seed, 150, 3, 0.1);
        const label = objective === 'binary:logistic' ? y : y.map((v, i) => v * 2 + (i % 3));
        const { model } = train({ features: X, label }, { ...small, seed, objective });
        const back = loadModel(saveModel(model));
        expect(Array.from(marginBatch(flatten(back), X))).toEqual(Array.from(marginBatch(flatten(model), X)));
        expect(saveModel(back)).toBe(saveModel(model));
      }),
      { seed: 13, numRuns: 10 },
    );
  });

  it('the same seed gives the same model; another seed another one (row and column sampling on)', () => {
    const { X, y } = randomProblem(9, 300, 6);
    const p = { ...small, subsample: 0.7, colsampleBytree: 0.5 };
    const a = saveModel(train({ features: X, label: y }, { ...p, seed: 1 }).model);
    const b = saveModel(train({ features: X, label: y }, { ...p, seed: 1 }).model);
    const c = saveModel(train({ features: X, label: y }, { ...p, seed: 2 }).model);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('rejects a file of another format version, naming the field', () => {
    const { X, y } = randomProblem(1, 50, 2);
    const j = JSON.parse(saveModel(train({ features: X, label: y }, { rounds: 2 }).model));
    expect(() => loadModel({ ...j, formatVersion: 99 })).toThrow(/formatVersion/);
    expect(() => loadModel({ ...j, trees: [{ ...j.trees[0], left: [5] }] })).toThrow(ValidationError);
  });
});

describe('learner behaviour', () => {
  it('respects maxDepth (depth-wise) and maxLeaves (leaf-wise)', () => {
    const { X, y } = randomProblem(4, 500, 4);
    const d = train({ features: X, label: y }, { rounds: 5, maxDepth: 3 }).model;
    expect(Math.max(...d.trees.map(treeDepth))).toBeLessThanOrEqual(3);
    const l = train({ features: X, label: y }, { rounds: 5, maxDepth: 0, growPolicy: 'lossguide', maxLeaves: 7 }).model;
    for (const t of l.trees) expect(Array.from(t.feature).filter((f) => f < 0).length).toBeLessThanOrEqual(7);
    expect(Math.max(...l.trees.map(treeDepth))).toBeGreaterThan(3);
  });

  it('learns where missing values should go', () => {
    // Missing x0 means "positive" here, though observed x0 is uninformative.
    const n = 400;
    const values = new Float64Array(n * 2);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const miss = i % 4 === 0;
      values[2 * i] = miss ? NaN : (i * 7919) % 100;
      values[2 * i + 1] = (i * 104729) % 50;
      y[i] = miss ? 1 : i % 8 === 1 ? 1 : 0;
    }
    const { model } = train({ features: { nRows: n, nFeatures: 2, values }, label: y }, small);
    const e = flatten(model);
    expect(marginOfRow(e, [NaN, 10])).toBeGreaterThan(marginOfRow(e, [50, 10]) + 2);
  });

  it('stops early on a validation set and keeps the best rounds', () => {
    const { X, y } = randomProblem(6, 400, 4);
    const v = randomProblem(7, 300, 4);
    const { model, validationLoss } = train({ features: X, label: y, validation: { features: v.X, label: v.y } }, { rounds: 300, eta: 0.5, max_depth: 6, early_stopping_rounds: 5 });
    expect(validationLoss.length).toBeLessThan(300);
    const best = validationLoss.indexOf(Math.min(...validationLoss));
    expect(model.trees.length).toBe(best + 1);
    expect(validationLoss.length).toBe(best + 1 + 5);
  });

  it('class weights move the average prediction toward the up-weighted class', () => {
    const { X, y } = randomProblem(8, 300, 4);
    const mean = (w: number) => {
      const { model } = train({ features: X, label: y }, { ...small, classWeights: { negative: 1, positive: w } });
      const m = marginBatch(flatten(model), X);
      return m.reduce((s, v) => s + 1 / (1 + Math.exp(-v)), 0) / m.length;
    };
    expect(mean(3)).toBeGreaterThan(mean(1) + 0.05);
  });

  it('names the bad parameter and the bad label', () => {
    const { X, y } = randomProblem(1, 50, 2);
    expect(() => train({ features: X, label: y }, { max_depth: -1 })).toThrow(/params.max_depth/);
    expect(() => train({ features: X, label: y }, { colour: 1 })).toThrow(/params.colour/);
    expect(() => train({ features: X, label: y.map(() => 2) }, {})).toThrow(/label\[0\]/);
  });
});
