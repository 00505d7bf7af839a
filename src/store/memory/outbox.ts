import { OUTBOX_STATUSES, type LeaseRequest, type NewOutboxEntry, type Outbox, type OutboxEntry, type OutboxQuery, type OutboxStatus } from '../outbox.js';

/** A fresh entry as the outbox first holds it. */
export function newEntry(e: NewOutboxEntry): OutboxEntry {
  return { ...e, message: structuredClone(e.message), status: 'pending', attempts: 0, dueAt: e.createdAt, leasedBy: null, leaseUntil: null, lastError: null, settledAt: null };
}

/** Whether a lease request may take this entry now. */
export function leasable(e: OutboxEntry, r: LeaseRequest): boolean {
  if (!r.channels.includes(e.channel)) return false;
  if (r.customerId !== undefined && e.customerId !== r.customerId) return false;
  if (r.worklist !== undefined && e.worklist !== r.worklist) return false;
  if (e.status === 'pending') return e.dueAt <= r.now;
  return e.status === 'leased' && (e.leaseUntil ?? 0) <= r.now;
}

/** The outbox in memory: tests and the engine with no data dir. */
export class MemoryOutbox implements Outbox {
  private readonly entries = new Map<string, OutboxEntry>();

  async enqueue(entries: readonly NewOutboxEntry[]): Promise<string[]> {
    return this.enqueueNow(entries);
  }

  /** Enqueues synchronously (the memory contact store's commit writes its entries this way). */
  enqueueNow(entries: readonly NewOutboxEntry[]): string[] {
    const added: string[] = [];
    for (const e of entries) {
      if (this.entries.has(e.key)) continue;
      this.entries.set(e.key, newEntry(e));
      added.push(e.key);
    }
    return added;
  }

  async lease(r: LeaseRequest): Promise<OutboxEntry[]> {
    const due = [...this.entries.values()].filter((e) => leasable(e, r)).sort((a, b) => a.dueAt - b.dueAt || a.createdAt - b.createdAt);
    return due.slice(0, r.limit).map((e) => {
      Object.assign(e, { status: 'leased', leasedBy: r.by, leaseUntil: r.now + r.leaseMs, attempts: e.attempts + 1 });
      return structuredClone(e);
    });
  }

  private held(key: string, by: string): OutboxEntry | undefined {
    const e = this.entries.get(key);
    return e && e.status === 'leased' && e.leasedBy === by ? e : undefined;
  }

  async complete(key: string, by: string, now: number): Promise<boolean> {
    const e = this.held(key, by);
    if (!e) return false;
    Object.assign(e, { status: 'delivered', leasedBy: null, leaseUntil: null, settledAt: now });
    return true;
  }

  async retry(key: string, by: string, dueAt: number, error: string): Promise<boolean> {
    const e = this.held(key, by);
    if (!e) return false;
    Object.assign(e, { status: 'pending', leasedBy: null, leaseUntil: null, dueAt, lastError: error });
    return true;
  }

  async deadLetter(key: string, by: string, now: number, error: string): Promise<boolean> {
    const e = this.held(key, by);
    if (!e) return false;
    Object.assign(e, { status: 'dead', leasedBy: null, leaseUntil: null, lastError: error, settledAt: now });
    return true;
  }

  async cancel(customerId: string, now: number, reason: string, channels?: readonly string[]): Promise<string[]> {
    const keys: string[] = [];
    for (const e of this.entries.values()) {
      if (e.customerId !== customerId || (e.status !== 'pending' && e.status !== 'leased')) continue;
      if (channels && !channels.includes(e.channel)) continue;
      Object.assign(e, { status: 'cancelled', leasedBy: null, leaseUntil: null, lastError: reason, settledAt: now });
      keys.push(e.key);
    }
    return keys;
  }

  async cancelKeys(keys: readonly string[], now: number, reason: string): Promise<string[]> {
    const done: string[] = [];
    for (const key of keys) {
      const e = this.entries.get(key);
      if (!e || (e.status !== 'pending' && e.status !== 'leased')) continue;
      Object.assign(e, { status: 'cancelled', leasedBy: null, leaseUntil: null, lastError: reason, settledAt: now });
      done.push(key);
    }
    return done;
  }

  async revive(key: string, now: number): Promise<boolean> {
    const e = this.entries.get(key);
    if (!e || e.status !== 'dead') return false;
    Object.assign(e, { status: 'pending', attempts: 0, dueAt: now, settledAt: null });
    return true;
  }

  async get(key: string): Promise<OutboxEntry | undefined> {
    const e = this.entries.get(key);
    return e && structuredClone(e);
  }

  async list(q: OutboxQuery): Promise<OutboxEntry[]> {
    const out = [...this.entries.values()].filter((e) => (q.status === undefined || e.status === q.status) && (q.customerId === undefined || e.customerId === q.customerId) && (q.channel === undefined || e.channel === q.channel));
    return out.slice(0, q.limit ?? 100).map((e) => structuredClone(e));
  }

  async counts(): Promise<Record<OutboxStatus, number>> {
    const c = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
    for (const e of this.entries.values()) c[e.status]++;
    return c;
  }

  async erase(customerId: string): Promise<void> {
    for (const [k, e] of this.entries) if (e.customerId === customerId) this.entries.delete(k);
  }

  async close(): Promise<void> {}
}
