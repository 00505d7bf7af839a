import { describe, expect, it } from 'vitest';
import { FeatureRows, GbdtScorer } from '../../src/decisioning/index.js';
import { train, treeExplainer } from '../../src/models/gbdt/index.js';

/**
 * GbdtScorer.explain keeps the `top` largest contributions without sorting every feature:
 * it must give what a full sort gives (by magnitude, ties to the lower feature index). Only
 * two of six features move the model, so the other four tie at zero.
 */
describe('the top contributions a scorer explains a score with', () => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  const n = 300;
  const values = new Float64Array(n * names.length);
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    values[i * 6] = i % 7;
    values[i * 6 + 3] = i % 11;
    label[i] = (i % 7) + (i % 11) > 8 ? 1 : 0;
  }
  const { model } = train({ features: { nRows: n, nFeatures: 6, values }, label, featureNames: names }, { objective: 'binary:logistic', rounds: 10, maxDepth: 2 });
  const scorer = new GbdtScorer({ families: { savings: { version: 'v', model } } });
  const action = { id: 'saver', family: 'savings', purpose: 'marketing', productRisk: 1, value: 10, credit: false, targetedSupport: false };

  it('are a full sort by magnitude, ties to the lower index, cut at top', () => {
    const profile = { a: 5, b: 0, c: 0, d: 2, e: 0, f: 0 };
    const phi = treeExplainer(model).contributions(Float64Array.from(names.map((k) => profile[k as keyof typeof profile])));
    const sorted = names.map((_, k) => k).sort((x, y) => Math.abs(phi[y]!) - Math.abs(phi[x]!) || x - y);
    expect(names.filter((_, k) => phi[k] !== 0).length).toBe(2);
    for (let top = 1; top <= names.length; top++) {
      const got = scorer.explain(action, new FeatureRows(profile), top);
      expect(got.map((c) => c.feature)).toEqual(sorted.slice(0, top).map((k) => names[k]));
      expect(got.map((c) => c.contribution)).toEqual(sorted.slice(0, top).map((k) => phi[k]));
    }
  });
});
