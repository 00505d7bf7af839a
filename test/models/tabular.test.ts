import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/core/csv.js';
import { encodeRows, featureNamesOf, inferEncoding } from '../../src/models/tabular.js';
import { fixture } from './gbdt/helpers.js';

// Feature list written by ../shared/data/reference/generate_gbdt.py (pandas one-hot, levels sorted).
const CREDIT_FEATURES = ['Seniority', 'Home=ignore', 'Home=other', 'Home=owner', 'Home=parents', 'Home=priv', 'Home=rent', 'Time', 'Age', 'Marital=divorced', 'Marital=married', 'Marital=separated', 'Marital=single', 'Marital=widow', 'Records=no', 'Records=yes', 'Job=fixed', 'Job=freelance', 'Job=others', 'Job=partime', 'Expenses', 'Income', 'Assets', 'Debt', 'Amount', 'Price'];

describe('tabular encoding', () => {
  it('reproduces the reference feature list of credit_data and its 446 missing numeric cells', () => {
    const t = parseCsv(fixture('credit_data_split.csv'));
    const enc = inferEncoding(t.header, t.rows, ['Status', 'split']);
    expect(featureNamesOf(enc)).toEqual(CREDIT_FEATURES);
    const X = encodeRows(enc, t.header, t.rows);
    expect(X.values.filter((v) => Number.isNaN(v)).length).toBe(446);
  });

  it('sorts levels by code point, encodes a missing category as all zeros and counts unseen levels', () => {
    const header = ['a', 'c'];
    const rows = [['1', 'b'], ['', 'B'], ['2.5', ''], ['-3e2', 'a']];
    const enc = inferEncoding(header, rows);
    expect(featureNamesOf(enc)).toEqual(['a', 'c=B', 'c=a', 'c=b']);
    const X = encodeRows(enc, header, rows);
    expect(Array.from(X.values)).toEqual([1, 0, 0, 1, NaN, 1, 0, 0, 2.5, 0, 0, 0, -300, 0, 1, 0]);
    const Y = encodeRows(enc, header, [['1', 'zzz']]);
    expect(Y.unseenLevels).toEqual({ c: 1 });
    expect(Array.from(Y.values)).toEqual([1, 0, 0, 0]);
  });

  it('names the column of a non-number in a numeric column and of a missing column', () => {
    const enc = inferEncoding(['a'], [['1']]);
    expect(() => encodeRows(enc, ['a'], [['x']])).toThrow(/a: row 1/);
    expect(() => encodeRows(enc, ['b'], [['1']])).toThrow(/a: the model needs this column/);
  });
});
