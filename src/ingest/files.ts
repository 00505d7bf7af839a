import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { basename } from 'node:path';
import { parseCsvLine } from '../core/csv.js';
import { NextbestError, ValidationError, type FieldIssue } from '../core/errors.js';
import { csvHeaderIssues, csvRowToEvent } from './csvEvents.js';
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
 *
 * Whole-file faults are errors, never partial successes: a CSV header with missing or
 * unknown columns fails before any row is read, a file with no rows fails, and a file that
 * ends early (a truncated gzip, a read error) fails naming the last line whose page was
 * handed on. The caller stores each page before asking for the next, so every row through
 * that line was processed and none after it; `fromLine` resumes there.
 */
export async function* readEventFile(path: string, options: { format?: FileFormat; batchSize?: number; fromLine?: number } = {}): AsyncGenerator<FileBatch> {
  const format = options.format ?? formatOf(path);
  const batchSize = options.batchSize ?? 5000;
  const fromLine = options.fromLine ?? 1;
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  if (input !== raw) raw.on('error', (e) => input.destroy(e)); // pipe() does not forward read errors
  // Held here as well as thrown by the line iterator: a stream error after the reader
  // stopped early (precheck) must not surface as an uncaught exception.
  let streamError: Error | undefined;
  input.on('error', (e: Error) => (streamError ??= e));
  const lines = createInterface({ input, crlfDelay: Infinity });
  let header: string[] | undefined;
  let lineNo = 0;
  let rows = 0;
  let handedOn = 0;
  let page: FileBatch = { items: [], rawText: [], lineNumbers: [], bytesRead: 0 };
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      if (format === 'csv' && header === undefined) {
        header = parseCsvLine(line.replace(/^\uFEFF/, ''));
        const issues = csvHeaderIssues(header);
        if (issues.length > 0) throw new ValidationError(issues, `${basename(path)}: the CSV header is wrong, so no row was read: ${issues.map((i) => i.message).join('; ')}`);
        continue;
      }
      rows++;
      if (lineNo < fromLine) continue;
      page.items.push(format === 'csv' ? fromCsv(header!, line, lineNo) : fromJson(line, lineNo));
      page.rawText.push(line);
      page.lineNumbers.push(lineNo);
      if (page.items.length >= batchSize) {
        page.bytesRead = raw.bytesRead;
        handedOn = lineNo;
        yield page;
        page = { items: [], rawText: [], lineNumbers: [], bytesRead: 0 };
      }
    }
    if (streamError) throw streamError;
  } catch (e) {
    if (e instanceof NextbestError) throw e;
    throw incomplete(path, e as Error, lineNo, handedOn, fromLine);
  } finally {
    lines.close();
    raw.destroy();
    if (input !== raw) input.destroy();
  }
  if (rows === 0) {
    const issue: FieldIssue = { field: '', rule: 'empty_file', message: `${basename(path)} has no ${format === 'csv' ? 'rows under its header' : 'events'}` };
    throw new ValidationError([issue], `${basename(path)}: ${issue.message}; nothing was stored`);
  }
  page.bytesRead = raw.bytesRead;
  if (page.items.length > 0) yield page;
}

/**
 * Checks what can be checked before anything is stored: the CSV header, and that the file
 * has at least one row. Reads only up to the first row.
 */
export async function precheckEventFile(path: string, options: { format?: FileFormat } = {}): Promise<void> {
  const pages = readEventFile(path, { ...options, batchSize: 1 });
  try {
    await pages.next();
  } finally {
    await pages.return(undefined);
  }
}

/** The error for a file that ended early: what was processed, and how to resume. */
function incomplete(path: string, cause: Error, lastLineRead: number, handedOn: number, fromLine: number): NextbestError {
  const name = basename(path);
  const done =
    handedOn > 0
      ? `Every row from line ${fromLine} through line ${handedOn} was processed (stored, a duplicate, or rejected) and is durable; nothing after line ${handedOn} was stored. Resume with --from-line ${handedOn + 1} once the file is whole (or run it again from the start: stored events are recognised by eventId and skipped).`
      : `Nothing from this file was stored.`;
  const issue: FieldIssue = { field: '', rule: 'truncated_file', message: `${name} ends early after line ${lastLineRead}: ${cause.message}` };
  return new NextbestError('VALIDATION_FAILED', `${issue.message}. ${done}`, { issues: [issue], processedThroughLine: handedOn > 0 ? handedOn : null, resumeFromLine: handedOn > 0 ? handedOn + 1 : fromLine });
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
