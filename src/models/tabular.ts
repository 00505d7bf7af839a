/**
 * Table of strings -> numeric feature matrix, the encoding every tabular model here shares
 * (and the one the reference results in ../shared/data were made with):
 * a column is numeric when every non-empty field parses as a decimal number, otherwise
 * categorical; a categorical column becomes one 0/1 column per level, levels sorted by
 * code point, named `column=level`, none dropped, and a missing (empty) category gives 0 in
 * all of them; an empty numeric field is NaN (missing). Feature order is column order with
 * each categorical column expanded in place.
 */
import { ValidationError } from '../core/errors.js';
import type { ColumnEncoding } from './gbdt/model.js';

export type { ColumnEncoding } from './gbdt/model.js';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** True when a field is a plain decimal number (no hex, no Infinity, no spaces). */
export function isDecimal(s: string): boolean {
  return DECIMAL.test(s);
}

/** Infers each column's encoding from the data; `exclude` names columns that are not features (target, split). */
export function inferEncoding(header: string[], rows: string[][], exclude: string[] = []): ColumnEncoding[] {
  const out: ColumnEncoding[] = [];
  header.forEach((name, c) => {
    if (exclude.includes(name)) return;
    let numeric = true;
    const levels = new Set<string>();
    for (const row of rows) {
      const v = row[c]!;
      if (v === '') continue;
      if (numeric && !isDecimal(v)) numeric = false;
      levels.add(v);
    }
    if (numeric) out.push({ name, kind: 'numeric' });
    else out.push({ name, kind: 'categorical', levels: [...levels].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) });
  });
  return out;
}

/** The feature names an encoding produces. */
export function featureNamesOf(encoding: ColumnEncoding[]): string[] {
  return encoding.flatMap((c) => (c.kind === 'numeric' ? [c.name] : c.levels.map((l) => `${c.name}=${l}`)));
}

/** What encoding the rows produced: the matrix plus counts of surprises the caller may report. */
export interface EncodedTable {
  nRows: number;
  nFeatures: number;
  values: Float64Array;
  featureNames: string[];
  /** Per categorical column, how many fields held a level the encoding does not know (encoded as all zeros). */
  unseenLevels: Record<string, number>;
}

/** Encodes rows with a fixed encoding; a non-number in a numeric column is a ValidationError naming it. */
export function encodeRows(encoding: ColumnEncoding[], header: string[], rows: string[][]): EncodedTable {
  const featureNames = featureNamesOf(encoding);
  const nFeatures = featureNames.length;
  const values = new Float64Array(rows.length * nFeatures);
  const unseenLevels: Record<string, number> = {};
  let off = 0;
  for (const col of encoding) {
    const c = header.indexOf(col.name);
    if (c < 0) throw new ValidationError([{ field: col.name, rule: 'missing_column', message: 'the model needs this column but the data has none' }]);
    if (col.kind === 'numeric') {
      for (let r = 0; r < rows.length; r++) {
        const s = rows[r]![c]!;
        if (s === '') values[r * nFeatures + off] = NaN;
        else if (isDecimal(s)) values[r * nFeatures + off] = Number(s);
        else throw new ValidationError([{ field: col.name, rule: 'numeric', message: `row ${r + 1}: "${s}" is not a number` }]);
      }
      off += 1;
    } else {
      const index = new Map(col.levels.map((l, i) => [l, i]));
      for (let r = 0; r < rows.length; r++) {
        const s = rows[r]![c]!;
        if (s === '') continue;
        const k = index.get(s);
        if (k === undefined) unseenLevels[col.name] = (unseenLevels[col.name] ?? 0) + 1;
        else values[r * nFeatures + off + k] = 1;
      }
      off += col.levels.length;
    }
  }
  return { nRows: rows.length, nFeatures, values, featureNames, unseenLevels };
}
