import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { run } from '../../src/cli/gbdt.js';
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
    await expect(run(['train', '--data', credit, '--target', 'Status', '--out', '/tmp/x.json'])).rejects.toThrow(/--positive/);
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
});
