/**
 * A participant's rows from a CSV file: the named numeric feature columns (empty, `NA` or
 * `NaN` is missing), a target column whose `positive` value is a 1, and optionally a split
 * column (`train` rows train, `test` rows test, others are left out). Every bank names the
 * same columns, so every bank encodes rows the same way.
 */
import { readFileSync } from 'node:fs';
import { parseCsv } from '../core/csv.js';
import { ValidationError } from '../core/errors.js';
import { isDecimal, isMissingToken } from '../models/tabular.js';
import type { LocalData } from './participant.js';

/** Reads a participant's rows; a missing column or a non-numeric cell is an error naming it. */
export function csvData(path: string, o: { features: string[]; target: string; positive: string; splitColumn?: string | undefined }): LocalData {
  const table = parseCsv(readFileSync(path, 'utf8'));
  const col = (name: string, field: string) => {
    const i = table.header.indexOf(name);
    if (i < 0) throw new ValidationError([{ field, rule: 'column', message: `${path} has no column "${name}" (columns: ${table.header.join(', ')})` }]);
    return i;
  };
  const fi = o.features.map((f, k) => col(f, `data.features[${k}]`));
  const ti = col(o.target, 'data.target');
  const si = o.splitColumn ? col(o.splitColumn, 'data.splitColumn') : -1;
  const F = fi.length;
  const train: number[][] = [];
  const test: number[][] = [];
  const yTrain: number[] = [];
  const yTest: number[] = [];
  table.rows.forEach((row, r) => {
    const part = si < 0 ? 'train' : row[si];
    if (part !== 'train' && part !== 'test') return;
    const x = fi.map((c, k) => {
      const s = row[c]!.trim();
      if (isMissingToken(s)) return Number.NaN;
      if (!isDecimal(s)) throw new ValidationError([{ field: `line ${r + 2}.${o.features[k]}`, rule: 'numeric', message: `"${s}" is not a number (federated features are numeric; encode categories as 0/1 columns)` }]);
      return Number(s);
    });
    (part === 'train' ? train : test).push(x);
    (part === 'train' ? yTrain : yTest).push(row[ti]!.trim() === o.positive ? 1 : 0);
  });
  if (train.length === 0) throw new ValidationError([{ field: 'data.csv', rule: 'has_rows', message: `${path} has no training rows` }]);
  const matrix = (rows: number[][]) => ({ nRows: rows.length, nFeatures: F, values: Float64Array.from(rows.flat()) });
  return {
    featureNames: [...o.features],
    label: `${o.target} == ${o.positive}`,
    train: matrix(train),
    trainLabel: Float64Array.from(yTrain),
    ...(test.length > 0 ? { test: { features: matrix(test), label: Float64Array.from(yTest) } } : {}),
  };
}
