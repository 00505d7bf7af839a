import type { NewOutboxEntry } from '../outbox.js';
import type { MemoryOutbox } from './outbox.js';
import { capCountsAtCommit, type CapacityTake, type CapCheck, type CommitResult, type ContactHistory, type ContactRecord, type ContactStore, type DeclineRecord } from '../contactStore.js';

/** In-memory contact history and counters (tests, simulations). */
export class MemoryContactStore implements ContactStore {
  private readonly contacts = new Map<string, ContactRecord[]>();
  private readonly declines = new Map<string, DeclineRecord[]>();
  private readonly counters = new Map<string, number>();
  readonly outboxInCommit: boolean;

  /** With `outbox`, a commit's outbox entries are written with its contacts (nothing between them to fail). */
  constructor(private readonly outbox?: MemoryOutbox) {
    this.outboxInCommit = outbox !== undefined;
  }

  async history(customerId: string, sinceMs: number): Promise<ContactHistory> {
    return {
      contacts: (this.contacts.get(customerId) ?? []).filter((c) => c.at >= sinceMs).map((c) => ({ ...c })),
      declines: (this.declines.get(customerId) ?? []).filter((d) => d.at >= sinceMs).map((d) => ({ ...d })),
    };
  }

  async commit(customerId: string, contacts: readonly ContactRecord[], caps: readonly CapCheck[], capacity: readonly CapacityTake[], outbox: readonly NewOutboxEntry[] = []): Promise<CommitResult> {
    // Synchronous from here on: no await between check and write, so it is atomic in this process.
    const existing = this.contacts.get(customerId) ?? [];
    const now = contacts.reduce((m, c) => Math.max(m, c.at), Number.NEGATIVE_INFINITY);
    for (const cap of caps) {
      const used = existing.filter((c) => capCountsAtCommit(cap, c, now)).length + contacts.filter((c) => capCountsAtCommit(cap, c, now)).length;
      if (used > cap.max) return { ok: false, reason: 'cap', cap };
    }
    for (const t of capacity) if ((this.counters.get(t.key) ?? 0) >= t.max) return { ok: false, reason: 'capacity', key: t.key };
    for (const t of capacity) this.counters.set(t.key, (this.counters.get(t.key) ?? 0) + 1);
    if (contacts.length > 0) this.contacts.set(customerId, [...existing, ...contacts.map((c) => ({ ...c }))].sort((a, b) => a.at - b.at));
    if (outbox.length > 0) {
      if (!this.outbox) throw new Error('this contact store has no outbox: enqueue after the commit');
      this.outbox.enqueueNow(outbox);
    }
    return { ok: true };
  }

  async release(customerId: string, c: { decisionId: string; actionId: string; channel: string }): Promise<boolean> {
    const list = this.contacts.get(customerId) ?? [];
    const i = list.findIndex((x) => x.decisionId === c.decisionId && x.actionId === c.actionId && x.channel === c.channel);
    if (i < 0) return false;
    list.splice(i, 1);
    return true;
  }

  async capacityUsed(keys: readonly string[]): Promise<number[]> {
    return keys.map((k) => this.counters.get(k) ?? 0);
  }

  async recordDecline(customerId: string, decline: DeclineRecord): Promise<void> {
    const list = this.declines.get(customerId) ?? [];
    if (decline.eventId !== undefined && list.some((d) => d.eventId === decline.eventId)) return;
    list.push({ ...decline });
    list.sort((a, b) => a.at - b.at);
    this.declines.set(customerId, list);
  }

  async eraseCustomer(customerId: string): Promise<number> {
    const n = (this.contacts.get(customerId)?.length ?? 0) + (this.declines.get(customerId)?.length ?? 0);
    this.contacts.delete(customerId);
    this.declines.delete(customerId);
    return n;
  }

  async retract(customerId: string, decisionId: string, capacityKeys: readonly string[]): Promise<number> {
    const list = this.contacts.get(customerId) ?? [];
    const kept = list.filter((c) => c.decisionId !== decisionId);
    this.contacts.set(customerId, kept);
    if (kept.length < list.length) for (const k of capacityKeys) this.counters.set(k, Math.max(0, (this.counters.get(k) ?? 0) - 1));
    return list.length - kept.length;
  }

  async close(): Promise<void> {}
}
