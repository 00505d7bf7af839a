import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { run } from '../../src/cli/gbdt.js';
import { loadModel } from '../../src/models/gbdt/index.js';
import { capture, FIXTURES } from '../models/gbdt/helpers.js';

const credit = join(FIXTURES, 'credit_data_split.csv');

describe('nextbest gbdt', () => {
  it('prints help for each subcommand', async () => {
    for (const sub of ['train', 'eval', 'explain']) {
      const r = await capture(() => run([sub, '--help']));
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`nextbest gbdt ${sub}`);
    }
  });

  it('names the flag or column on bad input', async () => {
    await expect(run(['fit'])).rejects.toThrow(UsageError);
    await expect(run(['train', '--data', credit, '--target', 'Nope', '--out', '/tmp/x.json'])).rejects.toThrow(/--target: column "Nope"/);
    await expect(run(['train', '--data', '/no/such.csv', '--target', 'Status', '--out', '/tmp/x.json'])).rejects.toThrow(/--data: cannot read/);
    await expect(run(['train', '--data', credit, '--target', 'Status', '--positive', 'bad', '--params', '{bad', '--out', '/tmp/x.json'])).rejects.toThrow(/--params/);
    await expect(run(['train', '--data', credit, '--target', 'Status', '--split-column', 'split', '--out', '/tmp/x.json'])).rejects.toThrow(/--positive/);
  });

  it('trains with early stopping and a monotone constraint, evaluates and explains a small CSV', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gbdt-cli-'));
    const csv = join(dir, 'offers.csv');
    const lines = ['balance,segment,took_offer,split'];
    for (let i = 0; i < 600; i++) {
      const balance = i % 7 === 0 ? '' : String((i * 37) % 1000);
      const segment = ['mass', 'affluent', 'private'][i % 3]!;
      const took = (Number(balance || 500) > 600 || segment === 'private') === (i % 11 !== 0) ? 'yes' : 'no';
      lines.push(`${balance},"${segment}",${took},${['train', 'train', 'valid', 'test'][i % 4]}`);
    }
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const out = join(dir, 'm.json');
    const common = ['--data', csv, '--target', 'took_offer', '--positive', 'yes', '--split-column', 'split'];
    const params = JSON.stringify({ rounds: 500, eta: 0.3, early_stopping_rounds: 10, monotone_constraints: { balance: 1 } });
    const t = await capture(() => run(['train', ...common, '--params', params, '--out', out]));
    const summary = JSON.parse(t.stdout);
    expect(summary.trainRows).toBe(300);
    expect(summary.validRows).toBe(150);
    expect(summary.trees).toBeLessThan(500);
    const e = JSON.parse((await capture(() => run(['eval', '--model', out, ...common]))).stdout);
    expect(e.rows).toBe(150);
    expect(e.auc).toBeGreaterThan(0.8);
    const x = JSON.parse((await capture(() => run(['explain', '--model', out, '--data', csv, '--rows', '0-2', '--top', '5']))).stdout);
    expect(x.rows).toHaveLength(3);
    for (const row of x.rows) {
      const sum = row.contributions.reduce((s: number, c: { contribution: number }) => s + c.contribution, x.bias);
      expect(sum).toBeCloseTo(row.margin, 9);
    }
    expect(x.importance[0].feature).toMatch(/balance|segment=private/);
  });

  describe('guards against training silently on mistakes', () => {
    /** A small offers CSV; `extra` adds columns per row. */
    function offersCsv(opts: { balance?: (i: number) => string; took?: (i: number) => string; split?: boolean; extra?: [string, (i: number) => string][] } = {}): string {
      const dir = mkdtempSync(join(tmpdir(), 'gbdt-guard-'));
      const csv = join(dir, 'offers.csv');
      const extra = opts.extra ?? [];
      const lines = [['balance', 'segment', 'took_offer', ...(opts.split ? ['split'] : []), ...extra.map(([n]) => n)].join(',')];
      for (let i = 0; i < 200; i++) {
        const balance = opts.balance ? opts.balance(i) : String((i * 37) % 1000);
        const segment = ['mass', 'affluent', 'private'][i % 3]!;
        const took = opts.took ? opts.took(i) : (i * 37) % 1000 > 500 !== (i % 9 === 0) ? 'yes' : 'no';
        lines.push([balance, segment, took, ...(opts.split ? [i % 4 === 3 ? 'test' : 'train'] : []), ...extra.map(([, f]) => f(i))].join(','));
      }
      writeFileSync(csv, `${lines.join('\n')}\n`);
      return csv;
    }
    const out = () => join(mkdtempSync(join(tmpdir(), 'gbdt-guard-')), 'm.json');

    it('reads NA, NaN and empty fields as missing: a numeric column stays one numeric feature', async () => {
      const csv = offersCsv({ balance: (i) => (i % 10 === 0 ? 'NA' : i % 10 === 1 ? 'NaN' : i % 10 === 2 ? '' : String((i * 37) % 1000)) });
      const m = out();
      const t = await capture(() => run(['train', '--data', csv, '--target', 'took_offer', '--positive', 'yes', '--params', '{"rounds":5}', '--out', m]));
      expect(JSON.parse(t.stdout).features).toBe(4); // balance + segment=affluent/mass/private
      const model = loadModel(readFileSync(m, 'utf8'));
      expect(model.encoding![0]).toEqual({ name: 'balance', kind: 'numeric' });
      const e = JSON.parse((await capture(() => run(['eval', '--model', m, '--data', csv, '--target', 'took_offer', '--positive', 'yes']))).stdout);
      expect(e.rows).toBe(200);
    });

    it('an unknown --positive is an error naming the flag and the labels seen', async () => {
      const csv = offersCsv();
      await expect(run(['train', '--data', csv, '--target', 'took_offer', '--positive', 'Yes', '--out', out()])).rejects.toThrow(
        '--positive: "Yes" is not a value of column "took_offer" (values seen: no, yes)',
      );
      const m = out();
      await capture(() => run(['train', '--data', csv, '--target', 'took_offer', '--positive', 'yes', '--params', '{"rounds":3}', '--out', m]));
      await expect(run(['eval', '--model', m, '--data', csv, '--target', 'took_offer', '--positive', 'ys'])).rejects.toThrow(/--positive: "ys" is not a value/);
    });

    it('a one-class target is an error naming the flag and the labels seen', async () => {
      const csv = offersCsv({ took: () => 'no', extra: [['other', (i) => (i === 0 ? 'yes' : 'no')]] });
      await expect(run(['train', '--data', csv, '--target', 'other', '--positive', 'yes', '--out', out()])).resolves.toBe(0);
      await expect(run(['train', '--data', csv, '--target', 'took_offer', '--positive', 'no', '--out', out()])).rejects.toThrow(
        /--target: column "took_offer" has one class in the 200 training rows \(values seen: no\)/,
      );
    });

    it('a forgotten --split-column is an error; --all-rows trains on every row without the split as a feature', async () => {
      const csv = offersCsv({ split: true });
      await expect(run(['train', '--data', csv, '--target', 'took_offer', '--positive', 'yes', '--out', out()])).rejects.toThrow(
        /--split-column: the CSV has a column "split" with values test, train; pass --split-column split .* or --all-rows/,
      );
      const m = out();
      const t = await capture(() => run(['train', '--data', csv, '--target', 'took_offer', '--positive', 'yes', '--all-rows', '--params', '{"rounds":3}', '--out', m]));
      expect(JSON.parse(t.stdout).trainRows).toBe(200);
      expect(loadModel(readFileSync(m, 'utf8')).featureNames).toEqual(['balance', 'segment=affluent', 'segment=mass', 'segment=private']);
      await expect(run(['eval', '--model', m, '--data', csv, '--target', 'took_offer', '--positive', 'yes'])).rejects.toThrow(/--split-column: the CSV has a column "split"/);
      const s = await capture(() => run(['train', '--data', csv, '--target', 'took_offer', '--positive', 'yes', '--split-column', 'split', '--params', '{"rounds":3}', '--out', m]));
      expect(JSON.parse(s.stdout).trainRows).toBe(150);
      expect(loadModel(readFileSync(m, 'utf8')).featureNames).not.toContain('split=train');
    });

    it('reports and drops features constant on the training rows', async () => {
      const csv = offersCsv({ extra: [['branch', () => 'north'], ['flag', () => '7'], ['empty', () => 'NA'], ['region', (i) => (i < 100 ? 'east' : 'west')]] });
      const m = out();
      const t = await capture(() => run(['train', '--data', csv, '--target', 'took_offer', '--positive', 'yes', '--params', '{"rounds":3}', '--out', m]));
      expect(t.code).toBe(0);
      const summary = JSON.parse(t.stdout);
      expect(summary.droppedConstantFeatures).toEqual(['branch=north', 'flag', 'empty']);
      expect(t.stderr).toContain('warning: 3 feature(s) have one value on every training row and are dropped: branch=north, flag, empty');
      const model = loadModel(readFileSync(m, 'utf8'));
      expect(model.featureNames).toEqual(['balance', 'segment=affluent', 'segment=mass', 'segment=private', 'region=east', 'region=west']);
      const e = await capture(() => run(['eval', '--model', m, '--data', csv, '--target', 'took_offer', '--positive', 'yes']));
      expect(JSON.parse(e.stdout).rows).toBe(200);
    });
  });
});
