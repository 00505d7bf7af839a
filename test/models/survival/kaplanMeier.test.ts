import { describe, expect, it } from 'vitest';
import { kaplanMeier } from '../../../src/models/survival/kaplanMeier.js';
import { eventIndicator } from '../../../src/models/survival/design.js';
import { fixtureJson, fixtureTable, relErr } from './fixtures.js';

interface RKm {
  n: number;
  n_event_total: number;
  time: number[];
  n_risk: number[];
  n_event: number[];
  n_censor: number[];
  surv: number[];
  std_err: number[];
  std_err_surv: number[];
  lower: number[];
  upper: number[];
  median: number;
  median_lower_95: number;
  median_upper_95: number;
  rmean: number;
  rmean_se: number;
}
const ref = fixtureJson<{ kaplan_meier_lung: RKm }>('survival.json').kaplan_meier_lung;

describe('Kaplan-Meier on lung against R survfit', () => {
  const table = fixtureTable('lung.csv');
  const ti = table.header.indexOf('time');
  const si = table.header.indexOf('status');
  const km = kaplanMeier(
    table.rows.map((row) => Number(row[ti])),
    eventIndicator(table.rows.map((row) => row[si]!), 'status', '2'),
  );

  it('has the same times and counts', () => {
    expect(km.n).toBe(ref.n);
    expect(km.events).toBe(ref.n_event_total);
    expect(km.time).toEqual(ref.time);
    expect(km.nRisk).toEqual(ref.n_risk);
    expect(km.nEvent).toEqual(ref.n_event);
    expect(km.nCensor).toEqual(ref.n_censor);
  });

  it('survival, Greenwood SEs and log-scale limits at every time within 1e-10 relative', () => {
    const check = (ours: number[], theirs: number[]) => ours.forEach((v, i) => expect(relErr(v, theirs[i]!)).toBeLessThan(1e-10));
    check(km.survival, ref.surv);
    check(km.stdErrCumHazard, ref.std_err);
    check(km.stdErrSurvival, ref.std_err_surv);
    check(km.lower, ref.lower);
    check(km.upper, ref.upper);
  });

  it('median 310 days with 95% CI 285-363, and the restricted mean', () => {
    expect([km.median, km.medianLower, km.medianUpper]).toEqual([310, 285, 363]);
    expect([ref.median, ref.median_lower_95, ref.median_upper_95]).toEqual([310, 285, 363]);
    expect(relErr(km.restrictedMean, ref.rmean)).toBeLessThan(1e-10);
    expect(relErr(km.restrictedMeanSe, ref.rmean_se)).toBeLessThan(1e-10);
  });
});

describe('Kaplan-Meier edge cases', () => {
  it('takes the midpoint when the curve sits exactly at one half (R convention)', () => {
    // Four deaths at 1, 2, 3, 4: S = 0.75, 0.5, 0.25, 0 -> median (2 + 3) / 2.
    expect(kaplanMeier([1, 2, 3, 4], [1, 1, 1, 1]).median).toBe(2.5);
  });

  it('has no median when survival never reaches one half', () => {
    const km = kaplanMeier([1, 2, 3, 4], [1, 0, 0, 0]);
    expect(km.median).toBeNull();
    expect(km.survival.at(-1)).toBe(0.75);
  });

  it('rejects a negative time, naming the field', () => {
    expect(() => kaplanMeier([1, -2], [1, 0])).toThrow(/time\[1\]/);
  });
});
