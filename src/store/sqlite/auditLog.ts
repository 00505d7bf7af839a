import { auditEntryFromRow, type AuditEntry, type AuditLog, type AuditRow } from '../auditLog.js';
import { openSqlite, type SqliteDb } from './db.js';

const MIGRATIONS = [
  `CREATE TABLE audit_log (
     seq INTEGER PRIMARY KEY,
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT NOT NULL,
     before TEXT NOT NULL,
     after TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   -- Append-only through SQL: an edit needs the triggers dropped first, and the chain still shows it.
   CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
   CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;`,
];

/**
 * The audit log in a database file of its own (audit.db in the data dir). The file is
 * shared: `nextbest keys` appends while `serve` runs, so each append is an IMMEDIATE
 * transaction that reads the last entry and writes the next under SQLite's write lock.
 */
export class SqliteAuditLog implements AuditLog {
  private readonly db: SqliteDb;
  private readonly insert;
  private readonly lastRow;
  private readonly page;

  /** Opens (creating) the audit file; `:memory:` for tests. */
  constructor(path: string) {
    this.db = openSqlite(path, { shared: true, migrations: { module: 'audit', list: MIGRATIONS } });
    this.insert = this.db.prepare('INSERT INTO audit_log (seq, at, actor, action, target, before, after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.lastRow = this.db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.page = this.db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?');
  }

  async append(build: (last: AuditEntry | null) => AuditEntry): Promise<AuditEntry> {
    const run = this.db.transaction(() => {
      const last = this.lastRow.get() as AuditRow | undefined;
      const e = build(last ? auditEntryFromRow(last) : null);
      if (e.seq !== (last?.seq ?? 0) + 1) throw new Error(`audit entry seq ${e.seq} does not follow ${last?.seq ?? 0}`);
      this.insert.run(e.seq, e.at, e.actor, e.action, e.target, JSON.stringify(e.before ?? null), JSON.stringify(e.after ?? null), e.prevHash, e.hash);
      return e;
    });
    return run.immediate();
  }

  async list(o: { afterSeq?: number; limit: number }): Promise<AuditEntry[]> {
    return (this.page.all(o.afterSeq ?? 0, o.limit) as AuditRow[]).map(auditEntryFromRow);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
