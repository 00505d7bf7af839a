import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captureStdio } from '../helpers/stdio.js';
import { UsageError } from '../../src/cli/args.js';
import { run } from '../../src/cli/survival.js';
import { main } from '../../src/cli/main.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/survival/${name}`, import.meta.url));
const reference = JSON.parse(readFileSync(fixture('survival.json'), 'utf8')) as {
  coxph: Record<string, { coef: Record<string, number>; se: Record<string, number>; loglik: { final: number } }>;
};

const io = captureStdio();

describe('nextbest survival cox', () => {
  it('prints the coefficients R prints for the issue example (lung, Efron)', async () => {
    const code = await run(['cox', '--data', fixture('lung.csv'), '--time', 'time', '--event', 'status', '--event-value', '2', '--covariates', 'age,sex,ph.ecog', '--ties', 'efron']);
    expect(code).toBe(0);
    const json = JSON.parse(io.out);
    const r = reference.coxph.lung_efron!;
    expect(json.n).toBe(227);
    expect(json.events).toBe(164);
    expect(json.rowsDropped).toBe(1);
    for (const c of json.coefficients) {
      expect(Math.abs(c.coef / r.coef[c.name]! - 1)).toBeLessThan(1e-6);
      expect(Math.abs(c.se / r.se[c.name]! - 1)).toBeLessThan(1e-6);
    }
    expect(Math.abs(json.loglik.final - r.loglik.final)).toBeLessThan(1e-6);
    expect(json.concordance.cIndex).toBeCloseTo(0.637135493, 6);
  });

  it('codes a text column as R treatment contrasts (wa_churn contract) and writes horizon predictions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-surv-'));
    const predictions = join(dir, 'pred.csv');
    await run([
      'cox', '--data', fixture('wa_churn_cox.csv'), '--time', 'tenure', '--event', 'churn', '--event-value', 'Yes',
      '--covariates', 'monthly_charges,contract,paperless_billing', '--ties', 'breslow', '--predictions', predictions, '--horizons', '1,12,24',
    ]);
    const json = JSON.parse(io.out);
    const r = reference.coxph.wa_churn_breslow!;
    expect(json.names).toEqual(['monthly_charges', 'contractOne year', 'contractTwo year', 'paperless_billing']);
    expect(json.factors[0].reference).toBe('Month-to-month');
    for (const c of json.coefficients) expect(Math.abs(c.coef / r.coef[c.name]! - 1)).toBeLessThan(1e-6);
    const lines = readFileSync(predictions, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,relative_risk,survival_1,risk_1,survival_12,risk_12,survival_24,risk_24');
    expect(lines).toHaveLength(7044);
    const first = lines[1]!.split(',').map(Number);
    expect(first[0]).toBe(1);
    expect(first[3]! + first[2]!).toBeCloseTo(1, 12);
    expect(first[4]!).toBeLessThanOrEqual(first[2]!);
  });

  it('names a missing column, a bad flag value and a missing file', async () => {
    await expect(run(['cox', '--data', fixture('lung.csv'), '--time', 'time', '--event', 'status', '--covariates', 'age,balance'])).rejects.toThrow(/covariate column "balance"/);
    await expect(run(['cox', '--data', fixture('lung.csv'), '--time', 'time', '--event', 'status', '--covariates', 'age', '--ties', 'exact'])).rejects.toThrow(UsageError);
    await expect(run(['cox', '--data', fixture('nope.csv'), '--time', 'time', '--event', 'status', '--covariates', 'age'])).rejects.toThrow(/--data: cannot read/);
    await expect(run(['cox', '--data', fixture('lung.csv'), '--event', 'status', '--covariates', 'age'])).rejects.toThrow(/--time is required/);
    await expect(run(['cox', '--data', fixture('wa_churn_cox.csv'), '--time', 'tenure', '--event', 'churn', '--covariates', 'contract'])).rejects.toThrow(/--event-value/);
  });

  it('exits non-zero through main on bad input, and --help exits 0', async () => {
    expect(await main(['survival', 'cox', '--data', fixture('lung.csv'), '--time', 'time', '--event', 'status', '--covariates', 'nope'])).toBe(1);
    expect(await main(['survival', 'cox', '--bogus'])).toBe(2);
    expect(await main(['survival', 'cox', '--help'])).toBe(0);
    expect(io.out).toContain('Usage: nextbest survival cox');
  });
});

describe('nextbest survival km', () => {
  it('prints the lung table and the median 310 (285-363)', async () => {
    expect(await run(['km', '--data', fixture('lung.csv'), '--time', 'time', '--event', 'status', '--event-value', '2'])).toBe(0);
    const curve = JSON.parse(io.out).curves[0];
    expect([curve.median, curve.medianLower, curve.medianUpper]).toEqual([310, 285, 363]);
    expect(curve.table).toHaveLength(186);
    expect(curve.table[0]).toEqual([5, 228, 1, 0, expect.closeTo(0.995614035087719, 12), expect.closeTo(0.00439561501176264, 12), expect.any(Number), expect.any(Number), 1]);
  });

  it('fits one curve per group', async () => {
    await run(['km', '--data', fixture('lung.csv'), '--time', 'time', '--event', 'status', '--group', 'sex']);
    const curves = JSON.parse(io.out).curves;
    expect(curves.map((c: { group: string; n: number }) => [c.group, c.n])).toEqual([['1', 138], ['2', 90]]);
    // R: survfit(Surv(time, status) ~ sex, lung) medians 270 and 426.
    expect(curves.map((c: { median: number }) => c.median)).toEqual([270, 426]);
    // R: print(fit, rmean = "common"): 326.0841 (se 22.91156) and 460.6473 (se 34.68985), limit 1022.
    expect(curves[0].restrictedMean).toBeCloseTo(326.0841, 4);
    expect(curves[1].restrictedMean).toBeCloseTo(460.6473, 4);
    expect(curves[1].restrictedMeanSe).toBeCloseTo(34.68985, 5);
  });
});
