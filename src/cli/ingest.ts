import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseCommand, UsageError } from './args.js';
import { ProgressBar } from './progress.js';

const spec = {
  usage: 'nextbest ingest FILE [FILE ...] [--format jsonl|csv] [--customers FILE] [--rejects FILE] [--batch N] [--from-line N] [--data-dir DIR]',
  summary:
    'Streams events from JSON Lines or CSV files (optionally .gz) into the event log. Each row is accepted, a duplicate, or rejected with the field and rule it broke; rejected rows are written to the rejects file (JSONL, with line numbers) and kept in the quarantine. Prints a JSON summary. Every CSV header, and that no file is empty, is checked before anything is stored; a file that ends early (a truncated .gz) stops the run with the last line processed and the --from-line to resume from.',
  options: {
    format: { type: 'string' },
    customers: { type: 'string' },
    rejects: { type: 'string' },
    batch: { type: 'string', default: '5000' },
    'from-line': { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    format: 'jsonl or csv (default: from the file name)',
    customers: 'Also upsert customer records from this JSONL file first',
    rejects: 'Where to write rejected rows (default: <first file>.rejects.jsonl)',
    batch: 'Rows per durable batch',
    'from-line': 'Start the first FILE at this line (to resume after a file that ended early)',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

/** `nextbest ingest` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  // The engine loads only now, so `ingest --help` answers without it.
  const { createEngine, loadConfig, precheckEventFile } = await import('../index.js');
  const v = parsed.values;
  const files = parsed.positionals;
  if (files.length === 0 && !v.customers) throw new UsageError(`give at least one FILE\n\nUsage: ${spec.usage}`);
  if (v.format && v.format !== 'jsonl' && v.format !== 'csv') throw new UsageError(`--format must be jsonl or csv, got ${v.format}`);
  const batchSize = Number(v.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw new UsageError('--batch must be an integer from 1 to 100000');
  const fromLine = v['from-line'] === undefined ? 1 : Number(v['from-line']);
  if (!Number.isInteger(fromLine) || fromLine < 1) throw new UsageError('--from-line must be a line number from 1');
  const format = v.format ? { format: v.format as 'jsonl' | 'csv' } : {};
  // Headers and emptiness before anything is stored (customers included).
  for (const file of files) await precheckEventFile(file, format);
  const engine = await createEngine(loadConfig(v.config, process.env, v['data-dir'] ? { dataDir: v['data-dir'] } : {}));
  const started = Date.now();
  const summary: Record<string, unknown> = { files: files.length };
  try {
    if (v.customers) {
      const lines = (await readFile(v.customers, 'utf8')).split('\n').filter((l) => l.trim() !== '');
      const items = lines.map((l) => {
        try {
          return JSON.parse(l) as unknown;
        } catch {
          return l;
        }
      });
      const r = await engine.upsertCustomers(items);
      summary.customers = { upserted: r.upserted, rejected: r.rejected, firstRejects: r.results.filter((x) => x.status === 'rejected').slice(0, 5) };
    }
    const rejectsPath = v.rejects ?? (files[0] ? `${files[0]}.rejects.jsonl` : undefined);
    const rejectsOut = rejectsPath ? createWriteStream(rejectsPath) : undefined;
    const totals = { lines: 0, accepted: 0, duplicates: 0, rejected: 0 };
    const done: string[] = [];
    for (const [i, file] of files.entries()) {
      const bar = new ProgressBar(`ingest ${file}`, undefined, 'rows');
      const t = await engine
        .ingestFile(file, {
          ...format,
          batchSize,
          ...(i === 0 ? { fromLine } : {}),
          onProgress: (p) => bar.update(p.lines, `${((100 * p.bytesRead) / Math.max(p.totalBytes, 1)).toFixed(1)}% of ${(p.totalBytes / 1e6).toFixed(1)} MB`),
          onRejected: (r) => rejectsOut?.write(`${JSON.stringify({ file, line: r.line, issues: r.issues, raw: r.raw })}\n`),
        })
        .catch(async (e: unknown) => {
          bar.finish(0);
          if (rejectsOut) await new Promise<void>((resolve) => rejectsOut.end(resolve)); // the rows rejected before it stay reported
          if (done.length > 0 && e instanceof Error) e.message += ` Files before it were processed completely: ${done.join(', ')}.`;
          throw e;
        });
      done.push(file);
      bar.finish(t.lines);
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += t[k];
    }
    if (rejectsOut) await new Promise<void>((resolve) => rejectsOut.end(resolve));
    const seconds = (Date.now() - started) / 1000;
    Object.assign(summary, totals, { rejectsFile: totals.rejected > 0 ? rejectsPath : null, seconds, rowsPerSecond: Math.round(totals.lines / Math.max(seconds, 1e-3)) });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return totals.rejected > 0 ? 3 : 0;
  } finally {
    await engine.close();
  }
}
