/** One administrative act as the audit trail keeps it: hash-chained to the entry before it. */
export interface AuditEntry {
  /** 1, 2, 3 … without gaps: a missing entry breaks the chain as surely as an edited one. */
  seq: number;
  /** ISO-8601 time of the act. */
  at: string;
  /** Who acted: an API key id, `config:<n>`, `jwt:<hash>`, `cli:<user>` or `system`. */
  actor: string;
  /** What was done, e.g. `catalogue.action.put`, `model.promote`, `customer.erase`. */
  action: string;
  /** What it was done to: an action id, a model id, a key id, or a customer's keyed hash (never a raw customer id). */
  target: string;
  /** State before and after the act (JSON; null when there was none). */
  before: unknown;
  after: unknown;
  /** The hash of entry seq - 1 (64 zeros for the first). */
  prevHash: string;
  /** sha256 over the canonical JSON of the entry's fields and prevHash. */
  hash: string;
}

/**
 * The append-only audit log. `append` reads the last entry and writes the next one in one
 * transaction (across processes for a file store), so the chain never forks; the caller
 * builds the entry (and its hash) from the last one. There is no update and no delete.
 */
export interface AuditLog {
  append(build: (last: AuditEntry | null) => AuditEntry): Promise<AuditEntry>;
  /** Entries in seq order after `afterSeq` (default 0), at most `limit`. */
  list(o: { afterSeq?: number; limit: number }): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

/** An entry as both SQL adapters store it (before/after as JSON text; PostgreSQL may hand seq back as a string). */
export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  before: string;
  after: string;
  prev_hash: string;
  hash: string;
}

/** A stored row as the port's entry. */
export const auditEntryFromRow = (r: AuditRow): AuditEntry => ({ seq: Number(r.seq), at: r.at, actor: r.actor, action: r.action, target: r.target, before: JSON.parse(r.before), after: JSON.parse(r.after), prevHash: r.prev_hash, hash: r.hash });
