/**
 * The tabulated TreeSHAP (fastShap.ts behind treeExplainer) against the recursion it
 * replaces (recursiveExplainer, Lundberg 2018 Algorithm 2, itself checked against XGBoost's
 * pred_contribs in xgboost.test.ts), on seeded random trees built to reach every case:
 * features repeated on a path, missing values both ways, rows exactly on thresholds,
 * single-leaf trees, depths 1 to 8, float32 inputs, and every way of cutting trees into
 * blocks, including trees left to the recursion.
 *
 * Tolerance: each contribution within 1e-9 · max(1, largest |reference contribution|) of
 * the reference (the two differ by rounding only, about 1e-15 here), and contributions plus
 * bias within 1e-9 of the margin.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32, normal, type Rng } from '../../../src/core/random.js';
import { flatten, importXgboost, marginOfRow, type GbdtModel } from '../../../src/models/gbdt/index.js';
import { recursiveExplainer, treeExplainer, type Explainer, type ExplainerOptions } from '../../../src/models/gbdt/shap.js';
import { TreeBuilder, type Tree } from '../../../src/models/gbdt/tree.js';
import { fixture } from './helpers.js';

const TOL = 1e-9;

/** Thresholds on a coarse grid so that rows land exactly on them and paths repeat them. */
const GRID = [-2, -1, -0.5, 0, 0.5, 1, 2];

interface TreeShape {
  depth: number;
  nFeatures: number;
  /** Chance that a node above the maximum depth is a leaf. */
  leafRate: number;
}

function randomTree(rng: Rng, s: TreeShape): Tree {
  const b = new TreeBuilder();
  const grow = (id: number, depth: number): number => {
    if (depth >= s.depth || (depth > 0 && rng.next() < s.leafRate)) {
      // Covers as hessian sums, from a wide range so ratios are far from 1/2.
      b.cover[id] = 0.01 + 10 * rng.next() ** 3;
      b.value[id] = normal(rng);
      return b.cover[id]!;
    }
    const l = b.addLeaf(0, 0);
    const r = b.addLeaf(0, 0);
    // Few features, so that paths split on one several times.
    const f = Math.floor(rng.next() * s.nFeatures);
    const thr = GRID[Math.floor(rng.next() * GRID.length)]! + (rng.next() < 0.3 ? 0.25 : 0);
    b.setSplit(id, f, thr, rng.next() < 0.5, 1, l, r);
    const cover = grow(l, depth + 1) + grow(r, depth + 1);
    b.cover[id] = cover;
    return cover;
  };
  grow(b.addLeaf(0, 0), 0);
  return b.build();
}

function randomModel(seed: number, nTrees: number, s: TreeShape, float32Inputs = false): GbdtModel {
  const rng = mulberry32(seed);
  const trees = Array.from({ length: nTrees }, () => randomTree(rng, { ...s, depth: 1 + Math.floor(rng.next() * s.depth) }));
  return {
    objective: 'binary:logistic',
    baseMargin: normal(rng),
    featureNames: Array.from({ length: s.nFeatures }, (_, f) => `f${f}`),
    trees,
    float32Inputs,
    bestIteration: nTrees,
  };
}

/** Rows on and between the thresholds, with missing and infinite values. */
function randomRows(seed: number, nRows: number, nFeatures: number): Float64Array[] {
  const rng = mulberry32(seed);
  return Array.from({ length: nRows }, () =>
    Float64Array.from({ length: nFeatures }, () => {
      const u = rng.next();
      if (u < 0.2) return NaN;
      if (u < 0.23) return rng.next() < 0.5 ? Infinity : -Infinity;
      if (u < 0.6) return GRID[Math.floor(rng.next() * GRID.length)]!;
      return 3 * normal(rng) + 0.1;
    }),
  );
}

/** Largest error against the reference, in units of the row's largest reference contribution (at least 1). */
function worstError(fast: Explainer, ref: Explainer, rows: readonly Float64Array[]): number {
  let worst = 0;
  for (const x of rows) {
    const a = fast.contributions(x);
    const b = ref.contributions(x);
    expect(a.length).toBe(b.length);
    const scale = Math.max(1, ...Array.from(b, Math.abs));
    for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j]! - b[j]!) / scale);
    if (a.some(Number.isNaN)) return Infinity;
  }
  return worst;
}

function worstAdditivity(ex: Explainer, model: GbdtModel, rows: readonly Float64Array[]): number {
  const e = flatten(model);
  return Math.max(...rows.map((x) => Math.abs(ex.contributions(x).reduce((s, v) => s + v, 0) - marginOfRow(e, x))));
}

describe('tabulated TreeSHAP equals the recursion', () => {
  const cuts: ExplainerOptions[] = [
    {},
    { blocks: { height: 0, entries: 1 << 12, form: 'compact' } }, // one W table per leaf (Fast TreeSHAP v2 as published)
    { blocks: { height: 0, entries: 1 << 12, form: 'vector' } },
    { blocks: { height: 1, entries: 1 << 12, form: 'vector' } },
    { blocks: { height: 2, entries: 1 << 14, form: 'vector' } },
    { blocks: { height: 2, entries: 1 << 14, form: 'compact' } },
    { blocks: { height: 3, entries: 1 << 14, form: 'compact' } },
    { blocks: { height: 2, entries: 256, form: 'compact' } }, // small blocks: deep subtrees cut into twigs and single leaves
  ];

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('on random trees of depth up to %i with repeated features, for every way of cutting them', (depth) => {
    for (let seed = 1; seed <= 4; seed++) {
      const nFeatures = 2 + (seed % 4) * 2;
      const model = randomModel(depth * 100 + seed, 12, { depth, nFeatures, leafRate: 0.2 });
      const rows = randomRows(seed, 40, nFeatures);
      const ref = recursiveExplainer(model);
      for (const o of cuts) {
        const fast = treeExplainer(model, o);
        expect(fast.bias).toBe(ref.bias);
        expect(fast.tabulatedTrees).toBe(model.trees.length);
        expect(worstError(fast, ref, rows)).toBeLessThan(TOL);
      }
    }
  });

  it('on full depth-6 trees over many features (every path six distinct features), and sums to the margin', () => {
    const model = randomModel(7, 30, { depth: 6, nFeatures: 40, leafRate: 0 });
    const rows = randomRows(8, 60, 40);
    const fast = treeExplainer(model);
    expect(worstError(fast, recursiveExplainer(model), rows)).toBeLessThan(TOL);
    expect(worstAdditivity(fast, model, rows)).toBeLessThan(TOL);
  });

  it('chooses smaller tables when the fastest do not fit the budget, and stays exact', () => {
    const model = randomModel(17, 30, { depth: 6, nFeatures: 40, leafRate: 0 });
    const rows = randomRows(18, 30, 40);
    const ref = recursiveExplainer(model);
    const roomy = treeExplainer(model);
    // Entries needed: 92,420 in vector blocks, 57,320 in compact blocks, 26,392 in leaf tables.
    const tight = treeExplainer(model, { tableBudget: 80_000 });
    const tighter = treeExplainer(model, { tableBudget: 40_000 });
    expect(tight.bytes).toBeLessThan(roomy.bytes);
    expect(tighter.bytes).toBeLessThan(tight.bytes);
    for (const ex of [roomy, tight, tighter]) {
      expect(ex.tabulatedTrees).toBe(30);
      expect(worstError(ex, ref, rows)).toBeLessThan(TOL);
    }
  });

  it('with float32 inputs, where a row must be rounded before it is compared', () => {
    const model = randomModel(9, 20, { depth: 5, nFeatures: 4, leafRate: 0.1 }, true);
    for (const t of model.trees) for (let n = 0; n < t.threshold.length; n++) t.threshold[n] = Math.fround(t.threshold[n]! + 0.1);
    // Values a hair off the float32 thresholds: they round onto them.
    const rows = randomRows(10, 60, 4).map((x) => x.map((v, f) => (f % 2 === 0 && Number.isFinite(v) ? v + 0.1 + 1e-9 : v)));
    expect(worstError(treeExplainer(model), recursiveExplainer(model), rows)).toBeLessThan(TOL);
  });

  it('with single-leaf trees, which only move the bias', () => {
    const b = new TreeBuilder();
    b.addLeaf(0.7, 3);
    const model = randomModel(11, 5, { depth: 3, nFeatures: 3, leafRate: 0.2 });
    model.trees.splice(2, 0, b.build());
    const fast = treeExplainer(model);
    const rows = randomRows(12, 20, 3);
    expect(worstError(fast, recursiveExplainer(model), rows)).toBeLessThan(TOL);
    expect(worstAdditivity(fast, model, rows)).toBeLessThan(TOL);
  });

  it('leaves to the recursion the trees over its table budget, and trees tables cannot hold', () => {
    const model = randomModel(13, 10, { depth: 6, nFeatures: 5, leafRate: 0.1 });
    // A zero cover and a NaN threshold: tables would divide by zero or could not rank it.
    model.trees[3]!.cover[model.trees[3]!.left[0]!] = 0;
    model.trees[5]!.threshold[0] = NaN;
    const rows = randomRows(14, 40, 5);
    const ref = recursiveExplainer(model);
    const fast = treeExplainer(model);
    expect(fast.tabulatedTrees).toBe(8);
    const err = (a: Float64Array, b: Float64Array) => Math.max(...a.map((v, j) => (Object.is(v, b[j]) ? 0 : Math.abs(v - b[j]!))));
    for (const x of rows) expect(err(fast.contributions(x), ref.contributions(x))).toBeLessThan(TOL);
    const none = treeExplainer(model, { tableBudget: 0 });
    expect(none.tabulatedTrees).toBe(0);
    const some = treeExplainer(model, { tableBudget: 300 });
    expect(some.tabulatedTrees).toBeGreaterThan(0);
    expect(some.tabulatedTrees).toBeLessThan(8);
    const clean = { ...model, trees: model.trees.filter((_, i) => i !== 3 && i !== 5) };
    expect(worstError(treeExplainer(clean, { tableBudget: 300 }), recursiveExplainer(clean), rows)).toBeLessThan(TOL);
  });

  it('on the XGBoost credit model for all 891 reference rows', () => {
    const model = importXgboost(JSON.parse(fixture('xgb_credit_model.json')));
    const ref = JSON.parse(fixture('xgb_credit_contribs.json')) as { x: (number | null)[][] };
    const rows = ref.x.map((r) => Float64Array.from(r, (v) => (v === null ? NaN : v)));
    const fast = treeExplainer(model);
    expect(fast.tabulatedTrees).toBe(30);
    expect(worstError(fast, recursiveExplainer(model), rows)).toBeLessThan(TOL);
  });

  it('reads rows at an offset and gives the same answer on every call (scratch buffers are reset)', () => {
    const model = randomModel(15, 8, { depth: 4, nFeatures: 3, leafRate: 0.2 });
    const rows = randomRows(16, 10, 3);
    const flat = new Float64Array(rows.flatMap((r) => Array.from(r)));
    const fast = treeExplainer(model);
    const first = rows.map((x) => fast.contributions(x));
    rows.forEach((_, i) => expect(fast.contributions(flat, 3 * i)).toEqual(first[i]));
  });
});
