import { describe, expect, it } from 'vitest';
import { fairnessSummary, fourFifthsRule, intersectGroups } from '../../../src/models/metrics/fairness.js';
import { ValidationError } from '../../../src/core/errors.js';

/*
 * A 12-customer table, written by hand. selected = the model offered (predicted 1);
 * outcome = the customer would have accepted; score = the model's probability.
 *
 *  row age    sex outcome selected score
 *   1  young  F   1       1        0.9
 *   2  young  F   0       1        0.6
 *   3  young  F   0       0        0.2
 *   4  young  M   1       1        0.8
 *   5  young  M   1       0        0.4
 *   6  young  M   0       0        0.1
 *   7  old    F   1       0        0.3
 *   8  old    F   0       0        0.2
 *   9  old    F   0       1        0.7
 *  10  old    M   1       1        0.6
 *  11  old    M   0       0        0.5
 *  12  old    M   0       0        0.1
 */
const age = ['young', 'young', 'young', 'young', 'young', 'young', 'old', 'old', 'old', 'old', 'old', 'old'];
const sex = ['F', 'F', 'F', 'M', 'M', 'M', 'F', 'F', 'F', 'M', 'M', 'M'];
const outcomes = [1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0];
const selected = [1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0];
const scores = [0.9, 0.6, 0.2, 0.8, 0.4, 0.1, 0.3, 0.2, 0.7, 0.6, 0.5, 0.1];
const EXACT = 1e-12;

describe('fairness metrics on a hand-computed table (Fairlearn definitions)', () => {
  const byAge = fairnessSummary({ groups: age, selected, outcomes, scores });
  const young = byAge.groups.find((g) => g.group === 'young')!;
  const old = byAge.groups.find((g) => g.group === 'old')!;

  it('per-group selection rate, TPR and FPR', () => {
    // young, rows 1–6: selected 1,1,0,1,0,0 → 3/6 = 0.5.
    //   positives rows 1,4,5, of which selected 1,4 → TPR = 2/3.
    //   negatives rows 2,3,6, of which selected 2 → FPR = 1/3.
    expect(young.selectionRate).toBeCloseTo(0.5, 12);
    expect(young.truePositives).toBe(2);
    expect(young.truePositiveRate).toBeCloseTo(2 / 3, 12);
    expect(young.falsePositiveRate).toBeCloseTo(1 / 3, 12);
    // old, rows 7–12: selected 0,0,1,1,0,0 → 2/6 = 1/3.
    //   positives rows 7,10, selected 10 → TPR = 1/2; negatives 8,9,11,12, selected 9 → FPR = 1/4.
    expect(old.selectionRate).toBeCloseTo(1 / 3, 12);
    expect(old.truePositiveRate).toBeCloseTo(1 / 2, 12);
    expect(old.falsePositiveRate).toBeCloseTo(1 / 4, 12);
  });

  it('per-group AUC and calibration in the large', () => {
    // young: positive scores {0.9, 0.8, 0.4}, negative {0.6, 0.2, 0.1}. Pairs where the
    // positive ranks higher: 0.9 → 3, 0.8 → 3, 0.4 → 2 (beats 0.2, 0.1) = 8 of 9.
    expect(young.auc).toBeCloseTo(8 / 9, 12);
    // old: positive {0.3, 0.6}, negative {0.2, 0.7, 0.5, 0.1}: 0.3 → 2, 0.6 → 3 = 5 of 8.
    expect(old.auc).toBeCloseTo(5 / 8, 12);
    // young: mean score (0.9+0.6+0.2+0.8+0.4+0.1)/6 = 3.0/6 = 0.5; observed 3/6 = 0.5; gap 0.
    expect(young.meanScore).toBeCloseTo(0.5, 12);
    expect(young.calibrationGap).toBeCloseTo(0, 12);
    // old: (0.3+0.2+0.7+0.6+0.5+0.1)/6 = 2.4/6 = 0.4; observed 2/6; gap 0.4 − 1/3 = 1/15.
    expect(old.observedRate).toBeCloseTo(1 / 3, 12);
    expect(old.calibrationGap).toBeCloseTo(1 / 15, 12);
    expect(byAge.maxCalibrationGap).toBeCloseTo(1 / 15, 12);
  });

  it('between-group differences and ratios', () => {
    // demographic parity: 0.5 − 1/3 = 1/6; ratio (1/3)/(1/2) = 2/3.
    expect(Math.abs(byAge.demographicParityDifference - 1 / 6)).toBeLessThan(EXACT);
    expect(Math.abs(byAge.demographicParityRatio - 2 / 3)).toBeLessThan(EXACT);
    // TPR difference 2/3 − 1/2 = 1/6, FPR difference 1/3 − 1/4 = 1/12: equalized odds = 1/6.
    expect(Math.abs(byAge.equalizedOddsDifference - 1 / 6)).toBeLessThan(EXACT);
    expect(Math.abs(byAge.equalOpportunityDifference - 1 / 6)).toBeLessThan(EXACT);
    // TPR ratio (1/2)/(2/3) = 3/4 and FPR ratio (1/4)/(1/3) = 3/4: equalized odds ratio 3/4.
    expect(Math.abs(byAge.equalizedOddsRatio - 3 / 4)).toBeLessThan(EXACT);
    expect(Math.abs(byAge.equalOpportunityRatio - 3 / 4)).toBeLessThan(EXACT);
  });

  it('intersections of age and sex', () => {
    const groups = intersectGroups({ age, sex }, ['age', 'sex']);
    expect(groups[0]).toBe('age=young & sex=F');
    const s = fairnessSummary({ groups, selected, outcomes });
    const get = (g: string) => s.groups.find((x) => x.group === g)!;
    // young F rows 1–3: selected 2/3; positive {1} selected → TPR 1; negatives {2,3}, 2 selected → FPR 1/2.
    expect(get('age=young & sex=F').selectionRate).toBeCloseTo(2 / 3, 12);
    expect(get('age=young & sex=F').falsePositiveRate).toBeCloseTo(1 / 2, 12);
    // young M rows 4–6: 1/3; positives {4,5}, 4 selected → 1/2; negative {6} not selected → 0.
    expect(get('age=young & sex=M').truePositiveRate).toBeCloseTo(1 / 2, 12);
    // old F rows 7–9: 1/3; positive {7} not selected → TPR 0; negatives {8,9}, 9 selected → 1/2.
    expect(get('age=old & sex=F').truePositiveRate).toBe(0);
    // old M rows 10–12: 1/3; positive {10} selected → TPR 1; FPR 0.
    expect(get('age=old & sex=M').truePositiveRate).toBe(1);
    // DP: 2/3 − 1/3 = 1/3, ratio 1/2. TPR spread 1 − 0 = 1, FPR spread 1/2 − 0: EO difference 1.
    expect(Math.abs(s.demographicParityDifference - 1 / 3)).toBeLessThan(EXACT);
    expect(Math.abs(s.demographicParityRatio - 1 / 2)).toBeLessThan(EXACT);
    expect(s.equalizedOddsDifference).toBe(1);
    expect(s.equalizedOddsRatio).toBe(0);
    // no scores given: AUC and calibration are NaN, not invented
    expect(Number.isNaN(s.maxCalibrationGap)).toBe(true);
  });

  it('a group without positives has a NaN TPR that the summary leaves out', () => {
    const s = fairnessSummary({ groups: ['a', 'a', 'b', 'b'], selected: [1, 0, 1, 0], outcomes: [1, 0, 0, 0] });
    expect(Number.isNaN(s.groups[1]!.truePositiveRate)).toBe(true);
    expect(s.equalOpportunityDifference).toBe(0);
  });

  it('rejects non-binary selections and mismatched lengths, naming the field', () => {
    expect(() => fairnessSummary({ groups: ['a', 'b'], selected: [1, 2] })).toThrow(/selected\[1\].*binary/);
    expect(() => fairnessSummary({ groups: ['a', 'b'], selected: [1, 0], outcomes: [1] })).toThrow(ValidationError);
    expect(() => intersectGroups({ age }, ['age', 'region'])).toThrow(/attributes\.region/);
  });
});

describe('four-fifths rule with Katz intervals', () => {
  it('the hand table by age: old/young = (2/6)/(3/6) = 2/3 < 0.8, but not significantly', () => {
    // ln(2/3) = −0.405465108; var = 1/2 − 1/6 + 1/3 − 1/6 = 1/2; se = 0.707106781;
    // 95%: exp(−0.405465 ∓ 1.959964 × 0.707107) = [0.166731769, 2.665625439].
    const r = fourFifthsRule([
      { group: 'young', n: 6, selected: 3 },
      { group: 'old', n: 6, selected: 2 },
    ]);
    expect(r.reference).toBe('young');
    const old = r.groups[1]!;
    expect(old.ratio).toBeCloseTo(2 / 3, 12);
    expect(Math.abs(old.interval[0] - 0.16673176883993757)).toBeLessThan(1e-9);
    expect(Math.abs(old.interval[1] - 2.665625438611588)).toBeLessThan(1e-9);
    expect(old.belowThreshold).toBe(true);
    expect(old.significantlyBelow).toBe(false);
    expect(r.alert).toBe(true);
  });

  it('a large disparity: 100/1000 against 250/1000 is 0.4 with interval [0.3227, 0.4958]', () => {
    // var = 1/100 − 1/1000 + 1/250 − 1/1000 = 0.012; se = 0.109544512;
    // exp(ln 0.4 ∓ 1.959964 × 0.109545) = [0.322712311, 0.495797632].
    const r = fourFifthsRule([
      { group: '35-44', n: 1000, selected: 100 },
      { group: '65+', n: 1000, selected: 250 },
    ]);
    expect(r.reference).toBe('65+');
    const g = r.groups[0]!;
    expect(Math.abs(g.interval[0] - 0.3227123114992984)).toBeLessThan(1e-9);
    expect(Math.abs(g.interval[1] - 0.4957976324381658)).toBeLessThan(1e-9);
    expect(g.significantlyBelow).toBe(true);
  });

  it('a group with nobody selected gets a finite interval (Haldane ½) and a named reference is honoured', () => {
    const r = fourFifthsRule(
      [
        { group: 'a', n: 50, selected: 0 },
        { group: 'b', n: 50, selected: 10 },
        { group: 'c', n: 50, selected: 12 },
      ],
      { reference: 'b' },
    );
    expect(r.reference).toBe('b');
    expect(r.groups[0]!.ratio).toBe(0);
    expect(Number.isFinite(r.groups[0]!.interval[1])).toBe(true);
    expect(r.groups[2]!.ratio).toBeCloseTo(1.2, 12);
    expect(() => fourFifthsRule([{ group: 'a', n: 5, selected: 6 }, { group: 'b', n: 5, selected: 1 }])).toThrow(/counts\[0\]\.selected/);
    expect(() => fourFifthsRule([{ group: 'a', n: 5, selected: 1 }, { group: 'b', n: 5, selected: 1 }], { reference: 'z' })).toThrow(/reference/);
  });
});
