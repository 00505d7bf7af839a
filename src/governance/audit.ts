/**
 * The audit trail of administrative acts (catalogue, levers, models, keys, erasure,
 * export, retention): each entry carries the hash of the one before, so editing, removing
 * or reordering any entry breaks the chain from that point, and `verifyAuditChain` says where.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical.js';
import type { AuditEntry, AuditLog } from '../store/auditLog.js';

export type { AuditEntry, AuditLog } from '../store/auditLog.js';

/** The prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The acts the trail records. */
export const AUDIT_ACTIONS = [
  'catalogue.action.put',
  'catalogue.action.delete',
  'catalogue.replace',
  'catalogue.levers',
  'model.promote',
  'model.rollback',
  'key.create',
  'key.revoke',
  'customer.erase',
  'customer.export',
  'retention.purge',
  'experiment.create',
  'experiment.update',
  'experiment.stop',
  'experiment.delete',
  'experiment.universal_control',
  'trigger.put',
  'trigger.delete',
  'delivery.retry',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One act to record: the trail adds seq, time and hashes. */
export interface AuditAct {
  actor: string;
  action: AuditAction;
  target: string;
  before?: unknown;
  after?: unknown;
}

/** Where callers send acts (a port the services take, so they need not know the trail). */
export type AuditSink = (act: AuditAct) => Promise<unknown>;

/** sha256 over the canonical JSON of the entry (all fields but the hash) followed by prevHash. */
export function auditEntryHash(e: Omit<AuditEntry, 'hash'>): string {
  const body = canonicalJson({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, target: e.target, before: e.before, after: e.after });
  return createHash('sha256').update(body).update(e.prevHash).digest('hex');
}

/** The result of walking the chain: every entry checked, or the first seq that breaks it. */
export type ChainVerdict = { ok: true; entries: number; head: string } | { ok: false; entries: number; brokenAt: number; reason: string };

/** The trail: appends acts with the clock's time and walks the chain. */
export class AuditTrail {
  constructor(
    private readonly log: AuditLog,
    private readonly now: () => number,
  ) {}

  /** Appends one act; resolves once it is stored. */
  async record(act: AuditAct): Promise<AuditEntry> {
    const at = new Date(this.now()).toISOString();
    // Stored as JSON: hash what a reader will read back (undefined keys dropped, dates as strings).
    const before = jsonValue(act.before);
    const after = jsonValue(act.after);
    return this.log.append((last) => {
      const draft = { seq: (last?.seq ?? 0) + 1, at, actor: act.actor, action: act.action, target: act.target, before, after, prevHash: last?.hash ?? GENESIS_HASH };
      return { ...draft, hash: auditEntryHash(draft) };
    });
  }

  /** A page of entries in seq order. */
  async list(o: { afterSeq?: number; limit: number }): Promise<AuditEntry[]> {
    return this.log.list(o);
  }

  /** Walks the whole chain. */
  async verify(pageSize = 1000): Promise<ChainVerdict> {
    return verifyAuditChain(this.log, pageSize);
  }
}

/** Walks the chain from seq 1: each entry must follow the last, point at its hash and hash to what it says. */
export async function verifyAuditChain(log: AuditLog, pageSize = 1000): Promise<ChainVerdict> {
  let prev: AuditEntry | null = null;
  let entries = 0;
  for (;;) {
    const page = await log.list({ afterSeq: prev?.seq ?? 0, limit: pageSize });
    for (const e of page) {
      const expectedSeq = (prev?.seq ?? 0) + 1;
      if (e.seq !== expectedSeq) return { ok: false, entries, brokenAt: expectedSeq, reason: `entry ${expectedSeq} is missing (next is ${e.seq})` };
      if (e.prevHash !== (prev?.hash ?? GENESIS_HASH)) return { ok: false, entries, brokenAt: e.seq, reason: `entry ${e.seq} does not point at the hash of entry ${e.seq - 1}` };
      if (auditEntryHash(e) !== e.hash) return { ok: false, entries, brokenAt: e.seq, reason: `entry ${e.seq} was changed after it was written (its hash does not match its content)` };
      prev = e;
      entries++;
    }
    if (page.length < pageSize) return { ok: true, entries, head: prev?.hash ?? GENESIS_HASH };
  }
}

function jsonValue(v: unknown): unknown {
  return v === undefined ? null : JSON.parse(JSON.stringify(v));
}
