import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captureStdio } from '../helpers/stdio.js';
import { main } from '../../src/cli/main.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/clv/${name}`, import.meta.url));
const ref = JSON.parse(readFileSync(fixture('clv_cdnow.json'), 'utf8'));
const values = JSON.parse(readFileSync(fixture('clv_values.json'), 'utf8'));
const withSpend = fixture('cdnow_customers_summary_with_transactions.csv');
const spendColumns = ['--id', 'ID', '--frequency', 'x', '--recency', 't_x', '--monetary', 'zbar'];

const io = captureStdio();

describe('nextbest clv', () => {
  it('fit prints the CDNOW BG/NBD and Gamma-Gamma estimates; predict gives scipy CLV from the saved parameters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-clv-'));
    const params = join(dir, 'params.json');
    expect(await main(['clv', 'fit', '--data', withSpend, ...spendColumns, '--out', params])).toBe(0);
    const fit = JSON.parse(io.out);
    expect(Math.abs(fit.bgnbd.logLikelihood - -9582.43)).toBeLessThan(0.01);
    expect(Math.abs(fit.bgnbd.params.r - 0.242593)).toBeLessThan(1e-3);
    expect(Math.abs(fit.gammaGamma.params.gamma - 15.447747)).toBeLessThan(1e-3);
    expect(fit.gammaGamma.customers).toBe(946);

    // Predict with the reference MLE so the figures compare with clv_values.json at 1e-9.
    writeFileSync(params, JSON.stringify({ bgnbd: { params: ref.bgnbd.our_mle }, gammaGamma: { params: ref.gamma_gamma.our_mle } }));
    io.out = '';
    expect(await main(['clv', 'predict', '--data', withSpend, ...spendColumns, '--params', params, '--horizon', '12', '--period', '4.345', '--discount', '0.01'])).toBe(0);
    const lines = io.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2357);
    values.customers.forEach((want: { id: number; clv: number }, i: number) => {
      expect(lines[i].id).toBe(String(want.id));
      expect(Math.abs(lines[i].clv / want.clv - 1)).toBeLessThan(1e-9);
    });
    expect(lines[0].pAlive).toBeCloseTo(ref.bgnbd.checks.p_alive_first_10_customers_at_our_mle[0], 12);

    io.out = '';
    expect(await main(['clv', 'predict', '--data', fixture('cdnow_customers_summary.csv'), '--params', params, '--format', 'csv'])).toBe(2);
    expect(io.err).toMatch(/--monetary is required/);
  });

  it('summary turns the transaction log into the published per-customer summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-clv-'));
    const tx = join(dir, 'tx.csv');
    const rows = readFileSync(fixture('CDNOW_sample.txt'), 'utf8').split('\r\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s+/));
    writeFileSync(tx, `customer,date,dollars\n${rows.map((r) => `${Number(r[1])},${r[2]},${r[4]}`).join('\n')}\n`);
    expect(await main(['clv', 'summary', '--data', tx, '--customer', 'customer', '--date', 'date', '--value', 'dollars', '--end', '1997-09-30'])).toBe(0);
    const got = io.out.trim().split('\n');
    const want = readFileSync(fixture('cdnow_customers_summary.csv'), 'utf8').trim().split('\n');
    expect(got).toHaveLength(want.length);
    for (let i = 1; i < want.length; i++) {
      const [id, f, r, T] = got[i]!.split(',');
      expect([id, f, Number(r).toFixed(2), Number(T).toFixed(2)].join(',')).toBe(want[i]!.split(',').map((v, j) => (j >= 2 ? Number(v).toFixed(2) : v)).join(','));
    }
  });

  it('names the bad flag, column or line and exits non-zero', async () => {
    expect(await main(['clv', 'fit', '--data', fixture('cdnow_customers_summary.csv'), '--frequency', 'freq'])).toBe(2);
    expect(io.err).toMatch(/--frequency: column "freq" is not in the header/);
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-clv-'));
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'ID,frequency,recency,T\n1,2,30,38\n2,1.5,3,38\n3,x,1,2\n');
    expect(await main(['clv', 'fit', '--data', bad])).toBe(2);
    expect(io.err).toMatch(/column "frequency" line 4 is "x", not a number/);
    writeFileSync(bad, 'ID,frequency,recency,T\n1,2,30,38\n2,1.5,3,38\n3,1,1,2\n');
    expect(await main(['clv', 'fit', '--data', bad])).toBe(1);
    expect(io.err).toMatch(/frequency\[1\]: is 1.5 \(non_negative_integer\)/);
    expect(await main(['clv', 'predict', '--data', bad, '--params', join(dir, 'none.json')])).toBe(2);
    expect(io.err).toMatch(/--params: cannot read/);
    expect(await main(['clv', 'nope'])).toBe(2);
    expect(await main(['clv', 'fit', '--help'])).toBe(0);
    expect(io.out).toMatch(/Usage: nextbest clv fit/);
  });

  it('fit --model bgbb fits the donation cohort from weighted summary rows', async () => {
    expect(await main(['clv', 'fit', '--model', 'bgbb', '--data', fixture('donations.csv'), '--weight', 'count'])).toBe(0);
    const fit = JSON.parse(io.out);
    expect(fit.model).toBe('bg/bb');
    expect(fit.bgbb.customers).toBe(11104);
    expect(fit.bgbb.params.alpha.toFixed(3)).toBe('1.204');
    expect(fit.bgbb.params.delta.toFixed(3)).toBe('2.783');
    expect(fit.bgbb.logLikelihood.toFixed(1)).toBe('-33225.6');
    expect(io.err).toMatch(/11104 customers in 22 \(x, t_x, n\) patterns/);

    // predict from the saved parameters: P(alive in 2002) and donations expected over 2002-2006.
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-clv-'));
    const params = join(dir, 'bgbb.json');
    expect(await main(['clv', 'fit', '--model', 'bgbb', '--data', fixture('donations.csv'), '--weight', 'count', '--out', params])).toBe(0);
    io.out = '';
    expect(await main(['clv', 'predict', '--data', fixture('donations.csv'), '--params', params, '--horizon', '5'])).toBe(0);
    const predictions = io.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(predictions).toHaveLength(22);
    expect(predictions[21]).toMatchObject({ row: 23, frequency: 6, recency: 6, n: 6 });
    expect(predictions[21].pAlive.toFixed(2)).toBe('0.93');
    const counts = readFileSync(fixture('donations.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[3]));
    const total = predictions.reduce((acc: number, p: { expectedTransactions: number }, i: number) => acc + p.expectedTransactions * counts[i]!, 0);
    expect(total.toFixed(1)).toBe('12884.2');
    io.err = '';
    expect(await main(['clv', 'fit', '--model', 'bgbb', '--data', fixture('donations.csv'), '--n', 'periods'])).toBe(2);
    expect(io.err).toMatch(/--n: column "periods" is not in the header/);
    expect(await main(['clv', 'fit', '--model', 'pareto', '--data', fixture('donations.csv')])).toBe(2);
    expect(io.err).toMatch(/--model must be bgnbd or bgbb/);
  });

  it('fit --weight gives the BG/NBD of the rows repeated; a degenerate fit warns and is not converged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-clv-'));
    const counts = new Map<string, number>();
    for (const line of readFileSync(fixture('cdnow_customers_summary.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [, x, tx, T] = line.split(',');
      counts.set(`${x},${tx},${T}`, (counts.get(`${x},${tx},${T}`) ?? 0) + 1);
    }
    const grouped = join(dir, 'grouped.csv');
    writeFileSync(grouped, `frequency,recency,T,customers\n${[...counts].map(([k, c]) => `${k},${c}`).join('\n')}\n`);
    expect(await main(['clv', 'fit', '--data', grouped, '--weight', 'customers'])).toBe(0);
    const w = JSON.parse(io.out).bgnbd;
    io.out = '';
    expect(await main(['clv', 'fit', '--data', fixture('cdnow_customers_summary.csv')])).toBe(0);
    const e = JSON.parse(io.out).bgnbd;
    expect(w.customers).toBe(2357);
    expect(counts.size).toBeLessThan(2357);
    for (const k of ['r', 'alpha', 'a', 'b']) expect(Math.abs(w.params[k] / e.params[k] - 1)).toBeLessThan(1e-5);
    expect(w.logLikelihood).toBeCloseTo(e.logLikelihood, 6);
    expect(w.converged).toBe(true);

    // Few customers dropping out at one common rate: a and b run off together.
    const few = join(dir, 'few.csv');
    writeFileSync(few, 'frequency,recency,T,customers\n0,0,30,40\n1,10,30,12\n2,25,30,9\n3,5,30,4\n5,29,30,6\n');
    io.out = '';
    expect(await main(['clv', 'fit', '--data', few, '--weight', 'customers'])).toBe(0);
    expect(JSON.parse(io.out).bgnbd.degenerate.kind).toBe('homogeneous_dropout');

    // Everyone keeps buying right up to the end: nothing suggests dropout.
    const loyal = join(dir, 'loyal.csv');
    const rows = ['frequency,recency,T'];
    for (let i = 0; i < 400; i++) {
      const x = i % 7;
      rows.push(`${x},${x === 0 ? 0 : 40 - (i % 3) * 0.5},40`);
    }
    writeFileSync(loyal, `${rows.join('\n')}\n`);
    io.out = '';
    io.err = '';
    expect(await main(['clv', 'fit', '--data', loyal])).toBe(0);
    const d = JSON.parse(io.out).bgnbd;
    expect(d.converged).toBe(false);
    expect(d.degenerate.kind).toBe('no_dropout');
    expect(io.err).toMatch(/warning: degenerate fit/);
    expect(await main(['clv', 'fit', '--data', grouped, '--weight', 'customers', '--monetary', 'T'])).toBe(2);
    expect(io.err).toMatch(/--weight: the Gamma-Gamma spend fit/);
  });
});

