import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, it, expect } from 'vitest';
import { run as keys } from '../../src/cli/keys.js';
import { run as audit } from '../../src/cli/audit.js';
import { run as privacy } from '../../src/cli/privacy.js';
import { createEngine } from '../../src/engine.js';
import { exampleEvents } from '../helpers/events.js';
import { captureStdio } from '../helpers/stdio.js';

const io = captureStdio();

describe('nextbest audit, keys and privacy', () => {
  it('keys are audited with the OS user; verify passes, then names the entry edited in the file and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-cli-audit-'));
    expect(await keys(['create', '--name', 'crm', '--scope', 'events:write', '--data-dir', dir])).toBe(0);
    const created = JSON.parse(io.out) as { id: string };
    expect(await keys(['create', '--name', 'dpo', '--scope', 'privacy', '--data-dir', dir])).toBe(0);
    expect(await keys(['revoke', created.id, '--data-dir', dir])).toBe(0);
    io.out = '';
    expect(await audit(['list', '--data-dir', dir])).toBe(0);
    const { entries } = JSON.parse(io.out) as { entries: { seq: number; actor: string; action: string; target: string; after: { status?: string } }[] };
    expect(entries.map((e) => `${e.seq} ${e.action}`)).toEqual(['1 key.create', '2 key.create', '3 key.revoke']);
    expect(entries[0]).toMatchObject({ actor: expect.stringMatching(/^cli:/), target: created.id, after: { status: 'live' } });
    expect(entries[2]).toMatchObject({ target: created.id, after: { status: 'revoked' } });
    io.out = '';
    expect(await audit(['verify', '--data-dir', dir])).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({ ok: true, entries: 3 });

    const db = new Database(join(dir, 'audit.db'));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET after = replace(after, 'privacy', 'admin') WHERE seq = 2`).run();
    db.close();
    io.out = '';
    expect(await audit(['verify', '--data-dir', dir])).toBe(1);
    expect(JSON.parse(io.out)).toMatchObject({ ok: false, brokenAt: 2 });
    expect(io.err).toMatch(/broken at entry 2/);
  });

  it('privacy export writes the bundle; purge applies retention and the quarantine cap, audited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-cli-privacy-'));
    const engine = await createEngine({ dataDir: dir, log: { level: 'silent' } });
    await engine.upsertCustomers([{ customerId: 'c-cli' }]);
    // Old card payments (beyond a 30-day retention) and recent ones.
    const now = Date.now();
    const old = exampleEvents('c-cli', new Date(now - 90 * 86_400_000).toISOString(), 'old').filter((e) => e.type !== 'market_event');
    const recent = exampleEvents('c-cli', new Date(now - 86_400_000).toISOString(), 'new').filter((e) => e.type !== 'market_event');
    expect((await engine.ingest([...old, ...recent])).rejected).toBe(0);
    await engine.ingest([{ eventId: 'bad-a', customerId: 'c-cli' }, { eventId: 'bad-b' }, { eventId: 'bad-c' }]);
    await engine.close();

    io.out = '';
    expect(await privacy(['export', 'c-cli', '--data-dir', dir])).toBe(0);
    const bundle = JSON.parse(io.out);
    expect(bundle).toMatchObject({ customerId: 'c-cli', record: { customerId: 'c-cli' } });
    expect(bundle.events.length).toBe(old.length + recent.length);
    expect(bundle.quarantined).toHaveLength(1);

    const config = join(dir, 'nextbest.config.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config, 'privacy:\n  retentionDays:\n    card_payment: 30\n  quarantineMax: 2\n');
    io.out = '';
    expect(await privacy(['purge', '--data-dir', dir, '--config', config])).toBe(0);
    const report = JSON.parse(io.out);
    expect(report.events).toEqual([{ type: 'card_payment', before: expect.any(String), purged: old.filter((e) => e.type === 'card_payment').length }]);
    expect(report.quarantine).toBe(1);
    io.out = '';
    expect(await audit(['list', '--data-dir', dir])).toBe(0);
    const acts = (JSON.parse(io.out).entries as { action: string; actor: string }[]).map((e) => e.action);
    expect(acts).toEqual(['customer.export', 'retention.purge']);
    // main.ts prints the error and exits 1.
    await expect(privacy(['export', 'nobody', '--data-dir', dir])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
