/**
 * Turns a table of strings (a CSV) into survival data the way R's model.frame does:
 * numeric columns as they are, text columns as treatment contrasts (reference = first level
 * in sorted order, dummies named `columnLevel`, e.g. `contractOne year`), rows with a
 * missing value in any used column dropped (na.omit). So a model here and `coxph` in R
 * see the same design matrix.
 */
import type { CsvTable } from '../../core/csv.js';
import { ValidationError } from '../../core/errors.js';
import type { SurvivalData } from './coxData.js';

export interface SurvivalColumns {
  time: string;
  event: string;
  /** The value of the event column that means "the event happened"; see `eventIndicator`. */
  eventValue?: string;
  covariates: readonly string[];
  /** Covariates to treat as categorical even though their values are numbers. */
  factors?: readonly string[];
  strata?: string;
}

/** The design of one categorical covariate. */
export interface FactorCoding {
  column: string;
  levels: string[];
  reference: string;
}

export interface SurvivalDesign {
  data: SurvivalData;
  /** Design-matrix column names, as R prints them. */
  names: string[];
  factors: FactorCoding[];
  /** Stratum labels, indexed by the codes in `data.strata`. */
  strataLevels: string[] | null;
  rowsRead: number;
  rowsDropped: number;
  /** Original row index (0-based, data rows) of each used row. */
  rowIndex: number[];
}

const collator = new Intl.Collator('en');

/** A missing value, as R reads a CSV: an empty field or `NA`. */
export function isMissing(v: string | undefined): boolean {
  return v === undefined || v === '' || v === 'NA';
}

function columnIndex(table: CsvTable, name: string, role: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) {
    throw new ValidationError([{ field: name, rule: 'column_exists', message: `${role} column "${name}" is not in the header (${table.header.join(', ')})` }]);
  }
  return i;
}

/**
 * 1/0 from the event column: equal to `eventValue` when given; otherwise 0/1, false/true,
 * or R's 1/2 coding (2 = event) when the column holds only 1 and 2.
 */
export function eventIndicator(values: readonly string[], column: string, eventValue?: string): number[] {
  if (eventValue !== undefined) {
    const asNumber = Number(eventValue);
    return values.map((v) => (v === eventValue || (eventValue !== '' && Number.isFinite(asNumber) && Number(v) === asNumber) ? 1 : 0));
  }
  const seen = new Set(values.map((v) => v.toLowerCase()));
  const only = (allowed: string[]) => [...seen].every((v) => allowed.includes(v));
  if (only(['0', '1'])) return values.map((v) => (v === '1' ? 1 : 0));
  if (only(['false', 'true'])) return values.map((v) => (v.toLowerCase() === 'true' ? 1 : 0));
  if (only(['1', '2'])) return values.map((v) => (v === '2' ? 1 : 0));
  throw new ValidationError([
    { field: column, rule: 'event_coding', message: `event column "${column}" holds ${[...seen].slice(0, 5).join(', ')}; give the event value (e.g. --event-value Yes)` },
  ]);
}

/** Builds the survival data and design matrix from a table of strings. */
export function buildSurvivalDesign(table: CsvTable, cols: SurvivalColumns): SurvivalDesign {
  const ti = columnIndex(table, cols.time, 'time');
  const ei = columnIndex(table, cols.event, 'event');
  const ci = cols.covariates.map((c) => columnIndex(table, c, 'covariate'));
  const si = cols.strata !== undefined ? columnIndex(table, cols.strata, 'strata') : -1;
  const used = [ti, ei, ...ci, ...(si >= 0 ? [si] : [])];
  const rowIndex: number[] = [];
  table.rows.forEach((row, r) => {
    if (used.every((c) => !isMissing(row[c]))) rowIndex.push(r);
  });
  const rows = rowIndex.map((r) => table.rows[r]!);
  if (rows.length === 0) {
    throw new ValidationError([{ field: cols.time, rule: 'nonempty', message: 'no row has all of the used columns filled in' }]);
  }
  const time = rows.map((row, k) => {
    const t = Number(row[ti]);
    if (!Number.isFinite(t) || t < 0) {
      throw new ValidationError([{ field: cols.time, rule: 'nonnegative_number', message: `row ${rowIndex[k]! + 2} of the file: time "${row[ti]}" is not a number >= 0` }]);
    }
    return t;
  });
  const event = eventIndicator(rows.map((row) => row[ei]!), cols.event, cols.eventValue);
  // Each covariate becomes one numeric column or k-1 dummy columns.
  const blocks: { names: string[]; values: (row: string[]) => number[] }[] = [];
  const factors: FactorCoding[] = [];
  cols.covariates.forEach((name, j) => {
    const c = ci[j]!;
    const numeric = !cols.factors?.includes(name) && rows.every((row) => Number.isFinite(Number(row[c])));
    if (numeric) {
      blocks.push({ names: [name], values: (row) => [Number(row[c])] });
      return;
    }
    const levels = [...new Set(rows.map((row) => row[c]!))].sort(collator.compare);
    factors.push({ column: name, levels, reference: levels[0]! });
    const dummies = levels.slice(1);
    blocks.push({ names: dummies.map((l) => `${name}${l}`), values: (row) => dummies.map((l) => (row[c] === l ? 1 : 0)) });
  });
  const names = blocks.flatMap((b) => b.names);
  const p = names.length;
  const x = new Float64Array(rows.length * p);
  rows.forEach((row, k) => {
    let j = 0;
    for (const b of blocks) for (const v of b.values(row)) x[k * p + j++] = v;
  });
  let strata: Int32Array | undefined;
  let strataLevels: string[] | null = null;
  if (si >= 0) {
    strataLevels = [...new Set(rows.map((row) => row[si]!))].sort(collator.compare);
    const code = new Map(strataLevels.map((l, i) => [l, i]));
    strata = Int32Array.from(rows, (row) => code.get(row[si]!)!);
  }
  return {
    data: { time, event, x, p, ...(strata ? { strata } : {}) },
    names,
    factors,
    strataLevels,
    rowsRead: table.rows.length,
    rowsDropped: table.rows.length - rows.length,
    rowIndex,
  };
}
