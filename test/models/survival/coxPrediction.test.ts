import { describe, expect, it } from 'vitest';
import { fitCox } from '../../../src/models/survival/cox.js';
import { riskAtHorizons, survivalCurve } from '../../../src/models/survival/coxPredict.js';
import { buildSurvivalDesign, type SurvivalColumns } from '../../../src/models/survival/design.js';
import { fixtureJson, fixtureTable, relErr } from './fixtures.js';

/** R results written by test/fixtures/survival/generate_extra.R. */
interface RFit {
  coef: number[];
  names: string[];
  se: number[];
  loglik: number[];
  iter: number;
  n: number;
  nevent: number;
  means: number[];
  concordance: number[];
  newx: number[][];
  horizon_surv: number[][];
  basehaz_time: number[];
  basehaz_hazard: number[];
  basehaz_strata: string[];
}
const r = fixtureJson<Record<string, RFit>>('r_extra.json');

const cases: { key: string; file: string; columns: SurvivalColumns; ties: 'efron' | 'breslow'; rows: number[] }[] = [
  { key: 'lung_efron', file: 'lung.csv', ties: 'efron', rows: [0, 1, 2, 3, 4], columns: { time: 'time', event: 'status', eventValue: '2', covariates: ['age', 'sex', 'ph.ecog'] } },
  { key: 'lung_breslow', file: 'lung.csv', ties: 'breslow', rows: [0, 1, 2, 3, 4], columns: { time: 'time', event: 'status', eventValue: '2', covariates: ['age', 'sex', 'ph.ecog'] } },
  {
    key: 'lung_strata_sex_efron',
    file: 'lung.csv',
    ties: 'efron',
    rows: [0, 6],
    columns: { time: 'time', event: 'status', eventValue: '2', covariates: ['age', 'ph.ecog'], strata: 'sex' },
  },
  {
    key: 'wa_churn_strata_contract_efron',
    file: 'wa_churn_cox.csv',
    ties: 'efron',
    rows: [0, 1, 3],
    columns: { time: 'tenure', event: 'churn', eventValue: 'Yes', covariates: ['monthly_charges', 'paperless_billing'], strata: 'contract' },
  },
  {
    key: 'veteran_celltype_efron',
    file: 'veteran.csv',
    ties: 'efron',
    rows: [0, 49, 99],
    columns: { time: 'time', event: 'status', covariates: ['celltype', 'karno', 'trt'] },
  },
];

describe.each(cases)('$key against R (coxph, survfit, basehaz)', ({ key, file, columns, ties, rows }) => {
  const ref = r[key]!;
  const design = buildSurvivalDesign(fixtureTable(file), columns);
  const model = fitCox(design.data, { ties, names: design.names });
  // Sorted-row index of each R newdata row: the fitted rows keep file order after NA removal.
  const xOf = (row: number) => Array.from(design.data.x).slice(row * design.data.p, (row + 1) * design.data.p);
  const stratumOf = (row: number) => (design.data.strata ? design.data.strata[row]! : 0);

  it('coefficients, SEs, log-likelihood, iterations and concordance as R (1e-6)', () => {
    expect(model.names).toEqual(ref.names);
    expect([model.n, model.events, model.iterations]).toEqual([ref.n, ref.nevent, ref.iter]);
    model.beta.forEach((b, j) => expect(relErr(b, ref.coef[j]!)).toBeLessThan(1e-6));
    model.coefficients.forEach((c, j) => expect(relErr(c.se, ref.se[j]!)).toBeLessThan(1e-6));
    expect(Math.abs(model.loglik.null - ref.loglik[0]!)).toBeLessThan(1e-6);
    expect(Math.abs(model.loglik.final - ref.loglik[1]!)).toBeLessThan(1e-6);
    const c = model.concordance!;
    expect(Math.abs(c.cIndex - ref.concordance[0]!)).toBeLessThan(1e-4);
    expect([c.concordant, c.discordant, c.tiedRisk, c.tiedTime, c.tiedTimeAndRisk]).toEqual(ref.concordance.slice(1));
    model.means.forEach((m, j) => expect(relErr(m, ref.means[j]!)).toBeLessThan(1e-12));
  });

  it('design rows as R model.matrix', () => {
    rows.forEach((row, k) => expect(xOf(row)).toEqual(ref.newx[k]));
  });

  it('baseline cumulative hazard as basehaz(centered = TRUE) (1e-8 relative)', () => {
    const ours = model.baseline.flatMap((b) => b.time.map((t, i) => ({ t, h: b.cumHazard[i]!, s: b.stratum })));
    expect(ours.length).toBe(ref.basehaz_time.length);
    ours.forEach((o, i) => {
      expect(o.t).toBe(ref.basehaz_time[i]);
      expect(relErr(o.h, ref.basehaz_hazard[i]!)).toBeLessThan(1e-8);
      // basehaz labels a numeric stratum `sex=1` and a text one by its level alone.
      if (design.strataLevels) expect(ref.basehaz_strata[i]!.replace(`${columns.strata}=`, '')).toBe(design.strataLevels[o.s]);
    });
  });

  it('per-customer survival at 30/90/365 as survfit(newdata) (1e-8 relative)', () => {
    rows.forEach((row, k) => {
      const risk = riskAtHorizons(model, xOf(row), [30, 90, 365], stratumOf(row));
      risk.forEach((h, i) => {
        expect(relErr(h.survival, ref.horizon_surv[k]![i]!)).toBeLessThan(1e-8);
        expect(h.risk).toBeCloseTo(1 - h.survival, 15);
      });
      const curve = survivalCurve(model, xOf(row), stratumOf(row));
      for (let i = 1; i < curve.survival.length; i++) expect(curve.survival[i]!).toBeLessThanOrEqual(curve.survival[i - 1]!);
    });
  });
});
