/**
 * Reading named numeric columns out of a CSV for the analyst commands (segment, clv):
 * each failure names the flag, the column and the line, so a bad file is fixed in one go.
 */
import { readFileSync } from 'node:fs';
import { parseCsv, type CsvTable } from '../core/csv.js';
import { isMissingToken } from '../models/tabular.js';
import { UsageError } from './args.js';

/** Reads and parses a CSV file, or a UsageError naming the flag. */
export function readTable(path: string, flag: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--${flag}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseCsv(text);
}

/** Index of a column, or a UsageError naming the flag and listing the header. */
export function columnIndex(table: CsvTable, name: string, flag: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) throw new UsageError(`--${flag}: column "${name}" is not in the header (${table.header.join(', ')})`);
  return i;
}

/** An absent or missing field: empty, R's `NA` or `NaN` (the tabular models' rule). */
export function isMissingField(v: string | undefined): boolean {
  return v === undefined || isMissingToken(v);
}

/** A field as a finite number, or a UsageError naming the column and file line (header = line 1). */
export function numberAt(table: CsvTable, row: number, col: number, flag: string): number {
  const raw = table.rows[row]![col]!;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) {
    throw new UsageError(`--${flag}: column "${table.header[col]}" line ${row + 2} is "${raw}", not a number`);
  }
  return v;
}

/** Comma-separated list flag split into trimmed non-empty names. */
export function listOption(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Indented JSON with arrays of plain values kept on one line, so tables stay readable. */
export function printJson(value: unknown): void {
  const text = JSON.stringify(value, null, 2).replace(/\[\s+([^[\]{}]*?)\s+\]/g, (_, inner: string) => `[${inner.replace(/,\s+/g, ', ')}]`);
  process.stdout.write(`${text}\n`);
}
