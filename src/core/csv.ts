/**
 * A small CSV reader (RFC 4180 subset): comma separated, fields optionally quoted with `"`,
 * a doubled quote inside a quoted field is one quote. An empty field is a missing value
 * (the caller decides what missing means). Pure: strings in, strings out.
 *
 * Quoted fields may not contain line breaks: the reader is line based so big files can be
 * streamed one line at a time (`parseCsvLine`), and bank exports in this project never
 * put newlines inside a field.
 */
import { ValidationError } from './errors.js';

/** A parsed CSV file: the header and the data rows, each a list of raw field strings. */
export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** Splits one CSV line (without its line ending) into fields; handles quotes and doubled quotes. */
export function parseCsvLine(line: string): string[] {
  // Fast path: most lines carry no quotes at all.
  if (line.indexOf('"') === -1) return line.split(',');
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q === -1) {
          throw new ValidationError([{ field: `column ${fields.length + 1}`, rule: 'csv_quote', message: 'unterminated quoted field' }]);
        }
        value += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      fields.push(value);
      if (j >= n) return fields;
      if (line.charCodeAt(j) !== 44 /* , */) {
        throw new ValidationError([{ field: `column ${fields.length}`, rule: 'csv_quote', message: 'text after a closing quote' }]);
      }
      i = j + 1;
      if (i === n) {
        fields.push('');
        return fields;
      }
    } else {
      const c = line.indexOf(',', i);
      if (c === -1) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, c));
      i = c + 1;
      if (i === n) {
        fields.push('');
        return fields;
      }
    }
  }
}

/** Splits text into lines, accepting `\n` or `\r\n` endings and an optional final newline. */
export function csvLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/**
 * Parses a whole CSV text: the first line is the header. Every row must have as many
 * fields as the header; a ragged row is a ValidationError naming its line number.
 */
export function parseCsv(text: string): CsvTable {
  const lines = csvLines(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (lines.length === 0) {
    throw new ValidationError([{ field: 'header', rule: 'required', message: 'the CSV is empty (no header line)' }]);
  }
  const header = parseCsvLine(lines[0]!);
  const rows: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '' && i === lines.length - 1) continue;
    const row = parseCsvLine(line);
    if (row.length !== header.length) {
      throw new ValidationError([
        { field: `line ${i + 1}`, rule: 'csv_width', message: `has ${row.length} fields, the header has ${header.length}` },
      ]);
    }
    rows.push(row);
  }
  return { header, rows };
}
