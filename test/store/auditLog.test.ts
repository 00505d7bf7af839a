import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, it, expect } from 'vitest';
import { MemoryAuditLog } from '../../src/store/memory/auditLog.js';
import { SqliteAuditLog } from '../../src/store/sqlite/auditLog.js';
import { AuditTrail } from '../../src/governance/audit.js';
import { auditLogContract } from './auditLog.contract.js';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'nb-audit-')), 'audit.db');

auditLogContract('memory', async () => new MemoryAuditLog());
auditLogContract('sqlite', async () => new SqliteAuditLog(dbPath()));

describe('SqliteAuditLog tampering', () => {
  async function written(path: string): Promise<void> {
    const log = new SqliteAuditLog(path);
    const trail = new AuditTrail(log, () => Date.UTC(2026, 0, 1));
    for (let i = 1; i <= 5; i++) await trail.record({ actor: 'key-1', action: 'catalogue.action.put', target: `a${i}`, before: null, after: { id: `a${i}`, weight: i } });
    await log.close();
  }

  it('refuses UPDATE and DELETE through SQL', async () => {
    const path = dbPath();
    await written(path);
    const db = new Database(path);
    expect(() => db.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 5').run()).toThrow(/append-only/);
    db.close();
  });

  it('reports the first edited entry when a row is edited in the file', async () => {
    const path = dbPath();
    await written(path);
    const db = new Database(path);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET after = '{"id":"a3","weight":300}' WHERE seq = 3`).run();
    db.close();
    const log = new SqliteAuditLog(path);
    const v = await new AuditTrail(log, Date.now).verify();
    await log.close();
    expect(v).toMatchObject({ ok: false, brokenAt: 3, entries: 2 });
  });

  it('reports a removed entry, and a rewritten entry whose hash was recomputed breaks the next link', async () => {
    const path = dbPath();
    await written(path);
    const db = new Database(path);
    db.exec('DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_log_no_update');
    db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    db.close();
    const log = new SqliteAuditLog(path);
    expect(await new AuditTrail(log, Date.now).verify()).toMatchObject({ ok: false, brokenAt: 2 });
    await log.close();

    const path2 = dbPath();
    await written(path2);
    const { auditEntryHash } = await import('../../src/governance/audit.js');
    const db2 = new Database(path2);
    db2.exec('DROP TRIGGER audit_log_no_update');
    const row = db2.prepare('SELECT * FROM audit_log WHERE seq = 4').get() as Record<string, string | number>;
    const forged = { seq: 4, at: row.at as string, actor: 'intruder', action: row.action as string, target: row.target as string, before: null, after: JSON.parse(row.after as string), prevHash: row.prev_hash as string };
    db2.prepare('UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 4').run('intruder', auditEntryHash(forged));
    db2.close();
    const log2 = new SqliteAuditLog(path2);
    expect(await new AuditTrail(log2, Date.now).verify()).toMatchObject({ ok: false, brokenAt: 5 });
    await log2.close();
  });
});
