import { auditEntryFromRow, type AuditEntry, type AuditLog, type AuditRow } from '../auditLog.js';
import { inTransaction, lockFor, release, type PgAdapterOptions, type PgPool } from './db.js';

/**
 * The audit trail in PostgreSQL, one chain for every instance on the schema (and `nextbest
 * keys` / `nextbest audit`): each append takes an advisory lock on the chain, reads the last
 * entry and writes the next in one transaction, so two instances never fork it.
 */
export class PgAuditLog implements AuditLog {
  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  async append(build: (last: AuditEntry | null) => AuditEntry): Promise<AuditEntry> {
    return inTransaction(this.pool, async (c) => {
      await lockFor(c, 'audit', 'chain');
      const last = (await c.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1')).rows[0];
      const e = build(last ? auditEntryFromRow(last) : null);
      const expected = (last ? Number(last.seq) : 0) + 1;
      if (e.seq !== expected) throw new Error(`audit entry seq ${e.seq} does not follow ${expected - 1}`);
      await c.query('INSERT INTO audit_log (seq, at, actor, action, target, before, after, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
        e.seq,
        e.at,
        e.actor,
        e.action,
        e.target,
        JSON.stringify(e.before ?? null),
        JSON.stringify(e.after ?? null),
        e.prevHash,
        e.hash,
      ]);
      return e;
    });
  }

  async list(o: { afterSeq?: number; limit: number }): Promise<AuditEntry[]> {
    return (await this.pool.query<AuditRow>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [o.afterSeq ?? 0, o.limit])).rows.map(auditEntryFromRow);
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}
