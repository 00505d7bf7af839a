/**
 * Training sets leave out customers who object to profiling or withheld the training
 * purpose: the jobs read the log through a view without those customers' events, so no
 * label row, feature or reference distribution is built from them, whatever the family.
 */
import type { StoredEvent } from '../core/events.js';
import type { AppendItem, AppendOutcome, EventLog, EventQuery, ScanOptions } from '../store/eventLog.js';

/** A read-only view of the log without the events of `excluded` customers. */
export class LogWithout implements EventLog {
  constructor(
    private readonly log: EventLog,
    private readonly excluded: ReadonlySet<string>,
  ) {}

  private keep = (e: StoredEvent) => !this.excluded.has(e.event.customerId);

  async readCustomer(customerId: string, query?: EventQuery): Promise<StoredEvent[]> {
    return this.excluded.has(customerId) ? [] : this.log.readCustomer(customerId, query);
  }

  async *scan(options?: ScanOptions): AsyncIterable<StoredEvent[]> {
    for await (const page of this.log.scan(options)) {
      const kept = this.excluded.size === 0 ? page : page.filter(this.keep);
      if (kept.length > 0) yield kept;
    }
  }

  async readAfter(seq: number, limit: number): Promise<StoredEvent[]> {
    return (await this.log.readAfter(seq, limit)).filter(this.keep);
  }

  async head(): Promise<number> {
    return this.log.head();
  }

  async count(query?: EventQuery & { customerId?: string }): Promise<number> {
    if (query?.customerId !== undefined) return this.excluded.has(query.customerId) ? 0 : this.log.count(query);
    let n = 0;
    for await (const page of this.scan({ ...query, batchSize: 20_000 })) n += page.length;
    return n;
  }

  appendMany(_items: readonly AppendItem[], _recordedAt: number): Promise<AppendOutcome[]> {
    return Promise.reject(new Error('the training view of the log is read-only'));
  }
  purgeType(): Promise<number> {
    return Promise.reject(new Error('the training view of the log is read-only'));
  }
  eraseCustomer(): Promise<number> {
    return Promise.reject(new Error('the training view of the log is read-only'));
  }
  async close(): Promise<void> {}
}
