/**
 * Bin cuts against XGBoost 1.7.4's own `hist` cuts: every split value of XGBoost's trees
 * (test/fixtures/gbdt/xgb_hist_reference.json) must be one of our cuts, on both shared
 * data sets and on a 30,000-row set where the sketch prunes and merges while streaming.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/core/csv.js';
import { computeCuts, type BinCuts, type FeatureMatrix } from '../../../src/models/gbdt/dataset.js';
import { sketchCuts } from '../../../src/models/gbdt/quantileSketch.js';
import { encodeRows, inferEncoding } from '../../../src/models/tabular.js';
import { FIXTURES, fixture } from './helpers.js';

const REF = JSON.parse(readFileSync(join(FIXTURES, 'xgb_hist_reference.json'), 'utf8')) as Record<string, { splitValues: Record<string, number[]> }>;

function trainMatrix(name: string, target: string): FeatureMatrix & { featureNames: string[] } {
  const t = parseCsv(fixture(`${name}_split.csv`));
  const s = t.header.indexOf('split');
  const enc = inferEncoding(t.header, t.rows, [target, 'split']);
  return encodeRows(enc, t.header, t.rows.filter((r) => r[s] === 'train'));
}

function synthetic(): FeatureMatrix & { featureNames: string[] } {
  const n = 30000;
  const values = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    values[2 * i] = ((i * 7919) % 10007) * 0.37;
    values[2 * i + 1] = ((i * 104729) % 65537) / 3;
  }
  return { nRows: n, nFeatures: 2, values, featureNames: ['x0', 'x1'] };
}

/** XGBoost split values that are not (as float32) among our cuts of that feature. */
function misses(X: FeatureMatrix & { featureNames: string[] }, splitValues: Record<string, number[]>, method: BinCuts): number {
  const cuts = computeCuts(X, 256, 200_000, 1, method);
  let missing = 0;
  for (const [feature, values] of Object.entries(splitValues)) {
    const f = X.featureNames.indexOf(feature);
    expect(f).toBeGreaterThanOrEqual(0);
    const ours = new Set(Array.from(cuts[f]!, Math.fround));
    for (const v of values) if (!ours.has(Math.fround(v))) missing++;
  }
  return missing;
}

describe('sketch cuts are XGBoost hist cuts', () => {
  const cases = [
    ['credit_data', () => trainMatrix('credit_data', 'Status')],
    ['wa_churn', () => trainMatrix('wa_churn', 'churn')],
    ['synthetic30k', synthetic],
  ] as const;
  it.each(cases)('%s: every XGBoost split value is one of our cuts', (name, make) => {
    const X = make();
    const ref = REF[name]!.splitValues;
    expect(Object.values(ref).flat().length).toBeGreaterThan(100);
    expect(misses(X, ref, 'sketch')).toBe(0);
  });
  it('the earlier sorted-quantile cuts miss some (so the check above can fail)', () => {
    expect(misses(trainMatrix('credit_data', 'Status'), REF.credit_data!.splitValues, 'sorted')).toBeGreaterThan(0);
    expect(misses(synthetic(), REF.synthetic30k!.splitValues, 'sorted')).toBeGreaterThan(0);
  });
});

describe('sketchCuts', () => {
  it('gives every distinct value its own bin when there are at most maxBin, and a last cut above the maximum', () => {
    const cuts = sketchCuts(Float64Array.from([3, 1, 2, 2, 5, 1]), null, 256);
    expect(Array.from(cuts)).toEqual([2, 3, 5, Math.fround(5 + Math.fround(5 + Math.fround(1e-5)))]);
  });
  it('keeps at most maxBin bins', () => {
    const v = Float64Array.from({ length: 5000 }, (_, i) => (i * 37) % 1013);
    for (const maxBin of [2, 16, 256]) {
      const cuts = sketchCuts(v, null, maxBin);
      expect(cuts.length).toBeLessThanOrEqual(maxBin);
      expect(cuts.length).toBeGreaterThanOrEqual(Math.min(maxBin, 1013) - 1);
      for (let i = 1; i < cuts.length; i++) expect(cuts[i]!).toBeGreaterThan(cuts[i - 1]!);
    }
  });
  it('maps a cut back to the training value, so float64 binning agrees with float32 binning', () => {
    // 29.85 rounds up in float32; the cut must be 29.85 itself so that 29.85 is not below it.
    const cuts = sketchCuts(Float64Array.from([10.1, 29.85, 40.3]), null, 256);
    expect(cuts[0]).toBe(29.85);
    expect(29.85 < cuts[0]!).toBe(false);
  });
  it('weights move the cuts toward heavy values', () => {
    const v = Float64Array.from({ length: 2000 }, (_, i) => i);
    const w = Float64Array.from({ length: 2000 }, (_, i) => (i < 1000 ? 9 : 1));
    const even = sketchCuts(v, null, 4);
    const weighted = sketchCuts(v, w, 4);
    expect(weighted[1]!).toBeLessThan(even[1]!);
  });
  it('an all-missing feature gets a single bin', () => {
    expect(sketchCuts(new Float64Array(0), null, 256).length).toBe(1);
  });
});
