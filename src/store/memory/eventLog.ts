import type { EventType, StoredEvent } from '../../core/events.js';
import type { AppendItem, AppendOutcome, EventLog, EventQuery, ScanOptions } from '../eventLog.js';

interface Row {
  stored: StoredEvent;
  body: string;
}

const byTime = (a: StoredEvent, b: StoredEvent) => a.t - b.t || a.seq - b.seq;

function matches(e: StoredEvent, q: EventQuery): boolean {
  if (q.fromT !== undefined && e.t < q.fromT) return false;
  if (q.toT !== undefined && e.t >= q.toT) return false;
  if (q.types && !q.types.includes(e.event.type)) return false;
  return true;
}

/** The event log in memory: for tests and for simulations that need no file. */
export class MemoryEventLog implements EventLog {
  private readonly rows: (Row | undefined)[] = [];
  private readonly byEventId = new Map<string, number>();
  private readonly byCustomer = new Map<string, StoredEvent[]>();

  async appendMany(items: readonly AppendItem[], recordedAt: number): Promise<AppendOutcome[]> {
    return items.map((item) => {
      const existing = this.byEventId.get(item.event.eventId);
      if (existing !== undefined) {
        const row = this.rows[existing - 1]!;
        return { status: row.body === item.body ? 'duplicate' : 'conflict', seq: existing };
      }
      const seq = this.rows.length + 1;
      const stored: StoredEvent = { seq, t: item.t, recordedAt, event: structuredClone(item.event) };
      this.rows.push({ stored, body: item.body });
      this.byEventId.set(item.event.eventId, seq);
      const list = this.byCustomer.get(item.event.customerId) ?? [];
      let i = list.length;
      while (i > 0 && byTime(list[i - 1]!, stored) > 0) i--;
      list.splice(i, 0, stored);
      this.byCustomer.set(item.event.customerId, list);
      return { status: 'accepted', seq };
    });
  }

  async readCustomer(customerId: string, query: EventQuery = {}): Promise<StoredEvent[]> {
    return (this.byCustomer.get(customerId) ?? []).filter((e) => matches(e, query));
  }

  async *scan(options: ScanOptions = {}): AsyncIterable<StoredEvent[]> {
    const all = this.live().filter((e) => matches(e, options)).sort(byTime);
    const size = options.batchSize ?? 10_000;
    for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size);
  }

  async readAfter(seq: number, limit: number): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    for (let i = seq; i < this.rows.length && out.length < limit; i++) {
      const row = this.rows[i];
      if (row) out.push(row.stored);
    }
    return out;
  }

  async head(): Promise<number> {
    return this.rows.length;
  }

  async count(query: EventQuery & { customerId?: string } = {}): Promise<number> {
    const source = query.customerId !== undefined ? (this.byCustomer.get(query.customerId) ?? []) : this.live();
    return source.filter((e) => matches(e, query)).length;
  }

  async purgeType(type: EventType, beforeT: number): Promise<number> {
    let n = 0;
    for (const [customerId, list] of this.byCustomer) {
      const kept = list.filter((e) => !(e.event.type === type && e.t < beforeT));
      for (const e of list) {
        if (e.event.type !== type || e.t >= beforeT) continue;
        this.rows[e.seq - 1] = undefined;
        this.byEventId.delete(e.event.eventId);
        n++;
      }
      if (kept.length === 0) this.byCustomer.delete(customerId);
      else if (kept.length !== list.length) this.byCustomer.set(customerId, kept);
    }
    return n;
  }

  async eraseCustomer(customerId: string): Promise<number> {
    const list = this.byCustomer.get(customerId) ?? [];
    for (const e of list) {
      this.rows[e.seq - 1] = undefined;
      this.byEventId.delete(e.event.eventId);
    }
    this.byCustomer.delete(customerId);
    return list.length;
  }

  async close(): Promise<void> {}

  private live(): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (const row of this.rows) if (row) out.push(row.stored);
    return out;
  }
}
