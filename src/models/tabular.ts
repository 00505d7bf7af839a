/**
 * Table of strings -> numeric feature matrix, the encoding every tabular model here shares
 * (and the one the reference results in ../shared/data were made with):
 * a column is numeric when every non-missing field parses as a decimal number, otherwise
 * categorical; a categorical column becomes one 0/1 column per level, levels sorted by
 * code point, named `column=level`, none dropped, and a missing category gives 0 in all of
 * them; a missing numeric field is NaN. Missing is an empty field or the tokens `NA` and
 * `NaN` (what R and pandas write): otherwise one `NA` turns a numeric column into a
 * categorical one with a level per distinct number. Feature order is column order with
 * each categorical column expanded in place.
 */
import { ValidationError } from '../core/errors.js';
import type { ColumnEncoding } from './gbdt/model.js';

export type { ColumnEncoding } from './gbdt/model.js';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const MISSING_TOKENS = new Set(['', 'NA', 'NaN']);

/** True for a field that means "no value": empty, `NA` or `NaN`. */
export function isMissingToken(s: string): boolean {
  return MISSING_TOKENS.has(s);
}

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
      if (isMissingToken(v)) continue;
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
        if (isMissingToken(s)) values[r * nFeatures + off] = NaN;
        else if (isDecimal(s)) values[r * nFeatures + off] = Number(s);
        else throw new ValidationError([{ field: col.name, rule: 'numeric', message: `row ${r + 1}: "${s}" is not a number` }]);
      }
      off += 1;
    } else {
      const index = new Map(col.levels.map((l, i) => [l, i]));
      for (let r = 0; r < rows.length; r++) {
        const s = rows[r]![c]!;
        if (isMissingToken(s)) continue;
        const k = index.get(s);
        if (k === undefined) unseenLevels[col.name] = (unseenLevels[col.name] ?? 0) + 1;
        else values[r * nFeatures + off + k] = 1;
      }
      off += col.levels.length;
    }
  }
  return { nRows: rows.length, nFeatures, values, featureNames, unseenLevels };
}

/**
 * Features that take one value (or are missing) on every row: they can never split, and a
 * one-hot level seen only outside these rows is one of them. Returns their names.
 */
export function constantFeatures(table: EncodedTable): string[] {
  const { nRows, nFeatures, values, featureNames } = table;
  const out: string[] = [];
  for (let f = 0; f < nFeatures; f++) {
    let first = NaN;
    let constant = true;
    for (let r = 0; r < nRows; r++) {
      const v = values[r * nFeatures + f]!;
      if (v !== v) continue;
      if (first !== first) first = v;
      else if (v !== first) {
        constant = false;
        break;
      }
    }
    if (constant) out.push(featureNames[f]!);
  }
  return out;
}

/** The encoding without the named features (numeric columns removed, one-hot levels dropped; a categorical column left with no level is removed). */
export function withoutFeatures(encoding: ColumnEncoding[], drop: string[]): ColumnEncoding[] {
  const gone = new Set(drop);
  const out: ColumnEncoding[] = [];
  for (const col of encoding) {
    if (col.kind === 'numeric') {
      if (!gone.has(col.name)) out.push(col);
      continue;
    }
    const levels = col.levels.filter((l) => !gone.has(`${col.name}=${l}`));
    if (levels.length > 0) out.push({ ...col, levels });
  }
  return out;
}
