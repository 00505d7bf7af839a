/**
 * Outside truth: an XGBoost 1.7.4 model (save_model JSON) with XGBoost's own margins and
 * pred_contribs for the 891 credit test rows (../shared/data/reference/xgb_credit_*.json).
 */
import { describe, expect, it } from 'vitest';
import { flatten, importXgboost, loadModel, marginOfRow, saveModel, treeExplainer } from '../../../src/models/gbdt/index.js';
import { ValidationError } from '../../../src/core/errors.js';
import { fixture } from './helpers.js';

const model = importXgboost(JSON.parse(fixture('xgb_credit_model.json')));
const ref = JSON.parse(fixture('xgb_credit_contribs.json')) as { featureNames: string[]; x: (number | null)[][]; margin: number[]; contribs: number[][] };
const rows = ref.x.map((r) => r.map((v) => (v === null ? NaN : v)));

describe('XGBoost JSON import', () => {
  it('reads 30 trees and the feature names', () => {
    expect(model.trees.length).toBe(30);
    expect(model.featureNames).toEqual(ref.featureNames);
    expect(model.baseMargin).toBe(0); // base_score 0.5 on the logit scale
  });

  it('scores all 891 rows as XGBoost does (margins within 1e-5)', () => {
    const e = flatten(model);
    expect(rows.length).toBe(891);
    let worst = 0;
    rows.forEach((x, i) => (worst = Math.max(worst, Math.abs(marginOfRow(e, x) - ref.margin[i]!))));
    expect(worst).toBeLessThan(1e-5);
  });

  it('TreeSHAP equals XGBoost pred_contribs within 1e-5 for all 891 rows, and sums to the margin', () => {
    const ex = treeExplainer(model);
    const e = flatten(model);
    let worst = 0;
    let worstSum = 0;
    rows.forEach((x, i) => {
      const phi = ex.contributions(x);
      expect(phi.length).toBe(27);
      phi.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - ref.contribs[i]![j]!))));
      worstSum = Math.max(worstSum, Math.abs(phi.reduce((s, v) => s + v, 0) - marginOfRow(e, x)));
    });
    expect(worst).toBeLessThan(1e-5);
    expect(worstSum).toBeLessThan(1e-9);
  });

  it('survives save -> load in our format with identical scores', () => {
    const back = loadModel(saveModel(model));
    const a = flatten(model);
    const b = flatten(back);
    rows.forEach((x) => expect(marginOfRow(b, x)).toBe(marginOfRow(a, x)));
  });

  it('rejects files that are not XGBoost models, naming the field', () => {
    expect(() => importXgboost({})).toThrow(ValidationError);
    expect(() => importXgboost({ learner: { objective: { name: 'multi:softprob' } } })).toThrow(/learner.objective.name/);
  });
});
