import type { FieldIssue } from '../core/errors.js';
import { readEventFile, fileSource, fileSize, type FileFormat } from '../ingest/files.js';
import type { IngestReport } from '../ingest/pipeline.js';

export interface IngestFileOptions {
  format?: FileFormat;
  batchSize?: number;
  /** The first line to ingest (1-based): resumes a file whose earlier lines are stored. */
  fromLine?: number;
  onProgress?: (p: { bytesRead: number; totalBytes: number; lines: number }) => void;
  onRejected?: (r: { line: number; raw: string; issues: FieldIssue[] }) => void;
}

/**
 * Streams a JSONL or CSV file (optionally .gz) through `ingest` in batches, with bounded
 * memory. Rejected rows go to `onRejected` with their line number.
 */
export async function ingestFile(
  ingest: (items: readonly unknown[], o: { source: string; rawText: readonly string[] }) => Promise<IngestReport>,
  path: string,
  options: IngestFileOptions,
): Promise<{ lines: number; accepted: number; duplicates: number; rejected: number }> {
  const totals = { lines: 0, accepted: 0, duplicates: 0, rejected: 0 };
  const totalBytes = fileSize(path);
  for await (const page of readEventFile(path, options)) {
    const report = await ingest(page.items, { source: fileSource(path), rawText: page.rawText });
    totals.lines += page.items.length;
    totals.accepted += report.accepted;
    totals.duplicates += report.duplicates;
    totals.rejected += report.rejected;
    if (options.onRejected) {
      for (const r of report.results) if (r.status === 'rejected') options.onRejected({ line: page.lineNumbers[r.index]!, raw: page.rawText[r.index]!, issues: r.issues });
    }
    options.onProgress?.({ bytesRead: page.bytesRead, totalBytes, lines: totals.lines });
  }
  return totals;
}
