/**
 * Group commit for ingest: calls that arrive while the log is busy are validated and
 * appended together, in one durable transaction (one fsync), and each caller gets the
 * report of its own items, as if it had been alone. Order is kept: a group is written in
 * the order of its calls, and `seal` (an erasure) closes the open group, so calls made
 * after it go in after it.
 */
import type { IngestReport, ItemResult } from '../ingest/pipeline.js';

interface Call {
  items: readonly unknown[];
  rawText: readonly string[] | undefined;
  offset: number;
  resolve: (r: IngestReport) => void;
  reject: (e: unknown) => void;
}

interface Group {
  source: string;
  size: number;
  calls: Call[];
}

export class IngestGroups {
  private open: Group | undefined;

  constructor(
    /** Validates and appends one batch (the ingest pipeline), resolving once it is durable. */
    private readonly run: (items: readonly unknown[], source: string, rawText: readonly string[] | undefined) => Promise<IngestReport>,
    /** Queues a write behind the ones before it. */
    private readonly schedule: (write: () => Promise<void>) => Promise<unknown>,
    private readonly maxItems = 10_000,
  ) {}

  /** Ingests `items` in the next group of the same source. */
  submit(items: readonly unknown[], source: string, rawText?: readonly string[]): Promise<IngestReport> {
    return new Promise((resolve, reject) => {
      let g = this.open;
      if (!g || g.source !== source || g.size + items.length > this.maxItems) {
        const group: Group = { source, size: 0, calls: [] };
        this.open = g = group;
        void this.schedule(() => this.flush(group));
      }
      g.calls.push({ items, rawText, offset: g.size, resolve, reject });
      g.size += items.length;
    });
  }

  /** Closes the open group: later calls are written after whatever is scheduled next. */
  seal(): void {
    this.open = undefined;
  }

  private async flush(g: Group): Promise<void> {
    if (this.open === g) this.open = undefined;
    try {
      if (g.calls.length === 1) {
        const c = g.calls[0]!;
        c.resolve(await this.run(c.items, g.source, c.rawText));
        return;
      }
      const items = g.calls.flatMap((c) => c.items);
      // Items without raw text are quarantined as their JSON, as when sent alone.
      const rawText = g.calls.some((c) => c.rawText) ? g.calls.flatMap((c) => (c.rawText ? [...c.rawText] : c.items.map(() => undefined))) : undefined;
      const report = await this.run(items, g.source, rawText as readonly string[] | undefined);
      for (const c of g.calls) c.resolve(slice(report, c.offset, c.items.length));
    } catch (e) {
      for (const c of g.calls) c.reject(e);
    }
  }
}

/** One caller's part of a group's report, indexed from 0 again. */
function slice(report: IngestReport, offset: number, n: number): IngestReport {
  const results: ItemResult[] = report.results.slice(offset, offset + n).map((r) => ({ ...r, index: r.index - offset }));
  const seqs = new Set<number>();
  let accepted = 0;
  let duplicates = 0;
  for (const r of results) {
    if (r.status === 'accepted') {
      accepted++;
      seqs.add(r.seq);
    } else if (r.status === 'duplicate') duplicates++;
  }
  return { accepted, duplicates, rejected: n - accepted - duplicates, results, stored: report.stored.filter((s) => seqs.has(s.seq)) };
}
