import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { basename } from 'node:path';
import { parseCsvLine } from '../core/csv.js';
import { csvRowToEvent } from './csvEvents.js';
import { UnparseableItem } from './check.js';

export type FileFormat = 'jsonl' | 'csv';

/** A page of raw items read from a file, with where each came from. */
export interface FileBatch {
  items: unknown[];
  rawText: string[];
  lineNumbers: number[];
  /** Bytes of the (compressed) file read so far, for progress. */
  bytesRead: number;
}

/** Guesses the format from the name: .csv(.gz) is CSV, anything else JSON Lines. */
export function formatOf(path: string): FileFormat {
  return /\.csv(\.gz)?$/i.test(path) ? 'csv' : 'jsonl';
}

/** The quarantine source name of a file. */
export const fileSource = (path: string) => `file:${basename(path)}`;

/**
 * Streams a JSONL or CSV file (optionally gzipped) in pages of `batchSize` items.
 * Memory is bounded by the page, not the file: a 5 GB file is read a line at a time.
 * A line that is not valid JSON (or a CSV row of the wrong width) becomes an
 * UnparseableItem so it is rejected with its line number, not silently dropped.
 */
export async function* readEventFile(path: string, options: { format?: FileFormat; batchSize?: number } = {}): AsyncGenerator<FileBatch> {
  const format = options.format ?? formatOf(path);
  const batchSize = options.batchSize ?? 5000;
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let header: string[] | undefined;
  let lineNo = 0;
  let page: FileBatch = { items: [], rawText: [], lineNumbers: [], bytesRead: 0 };
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    if (format === 'csv' && header === undefined) {
      header = parseCsvLine(line.replace(/^\uFEFF/, ''));
      continue;
    }
    page.items.push(format === 'csv' ? fromCsv(header!, line, lineNo) : fromJson(line, lineNo));
    page.rawText.push(line);
    page.lineNumbers.push(lineNo);
    if (page.items.length >= batchSize) {
      page.bytesRead = raw.bytesRead;
      yield page;
      page = { items: [], rawText: [], lineNumbers: [], bytesRead: 0 };
    }
  }
  page.bytesRead = raw.bytesRead;
  if (page.items.length > 0) yield page;
}

/** File size in bytes, for the progress bar. */
export const fileSize = (path: string) => statSync(path).size;

function fromJson(line: string, lineNo: number): unknown {
  try {
    return JSON.parse(line);
  } catch (e) {
    return new UnparseableItem([{ field: '', rule: 'json', message: `line ${lineNo} is not valid JSON: ${(e as Error).message}` }]);
  }
}

function fromCsv(header: string[], line: string, lineNo: number): unknown {
  let row: string[];
  try {
    row = parseCsvLine(line);
  } catch (e) {
    return new UnparseableItem([{ field: '', rule: 'csv', message: `line ${lineNo}: ${(e as Error).message}` }]);
  }
  if (row.length !== header.length) {
    return new UnparseableItem([{ field: '', rule: 'csv_width', message: `line ${lineNo} has ${row.length} fields; the header has ${header.length}` }]);
  }
  return csvRowToEvent(header, row);
}
