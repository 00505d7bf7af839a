import type { AuditEntry, AuditLog } from '../auditLog.js';

/** The audit log in memory (tests, the memory store). Entries are frozen copies. */
export class MemoryAuditLog implements AuditLog {
  private readonly entries: AuditEntry[] = [];

  async append(build: (last: AuditEntry | null) => AuditEntry): Promise<AuditEntry> {
    const entry = build(this.entries.at(-1) ?? null);
    if (entry.seq !== this.entries.length + 1) throw new Error(`audit entry seq ${entry.seq} does not follow ${this.entries.length}`);
    const stored = Object.freeze(structuredClone(entry));
    this.entries.push(stored);
    return structuredClone(stored);
  }

  async list(o: { afterSeq?: number; limit: number }): Promise<AuditEntry[]> {
    const from = Math.max(0, o.afterSeq ?? 0);
    return this.entries.slice(from, from + o.limit).map((e) => structuredClone(e));
  }

  async close(): Promise<void> {}
}
