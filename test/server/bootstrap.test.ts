import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, exited } from '../helpers/server.js';
import { captureStdio } from '../helpers/stdio.js';
import { run as keys } from '../../src/cli/keys.js';

describe('nextbest serve is secure by default', () => {
  const io = captureStdio();

  it('creates an admin key on first start (printed once, 0600 file, only the hash stored); keys made with `nextbest keys` work at once and revoke at once', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nb-boot-')), 'data');
    const first = await startServer(dir, {}, [], { secure: true });
    try {
      const printed = first.stdout();
      const key = /(nbk_[0-9a-f]{12}_[A-Za-z0-9_-]{43})/.exec(printed)?.[1];
      expect(key, printed).toBeDefined();
      expect(readFileSync(join(dir, 'admin.key'), 'utf8').trim()).toBe(key);
      for (const f of ['admin.key', 'keys.db', 'log-id.key']) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
      expect(readFileSync(join(dir, 'keys.db')).includes(Buffer.from(key!.split('_').slice(2).join('_')))).toBe(false);
      const get = (path: string, k?: string) => fetch(`${first.url}${path}`, { headers: k ? { authorization: `Bearer ${k}` } : {} }).then((r) => r.status);
      expect(await get('/healthz')).toBe(200);
      expect(await get('/v1/actions')).toBe(401);
      expect(await get('/v1/actions', key)).toBe(200);

      // A narrower key, made by the CLI while the server runs.
      expect(await keys(['create', '--name', 'crm', '--scope', 'profiles:read', '--data-dir', dir])).toBe(0);
      const made = JSON.parse(io.out) as { key: string; id: string; scopes: string[] };
      expect(made.scopes).toEqual(['profiles:read']);
      expect(await get('/v1/customers/nobody', made.key)).toBe(404);
      expect(await get('/v1/actions', made.key)).toBe(403);
      io.out = '';
      expect(await keys(['list', '--data-dir', dir])).toBe(0);
      expect(JSON.parse(io.out).keys.map((k: { name: string; status: string }) => `${k.name}:${k.status}`).sort()).toEqual(['bootstrap-admin:live', 'crm:live']);
      expect(io.out).not.toContain(made.key);
      expect(await keys(['revoke', made.id, '--data-dir', dir])).toBe(0);
      expect(await get('/v1/customers/nobody', made.key)).toBe(401);
      expect(await keys(['revoke', made.id, '--data-dir', dir])).toBe(1);
    } finally {
      first.child.kill('SIGTERM');
      await exited(first.child);
    }

    // The second start makes no new key and prints none.
    const second = await startServer(dir, {}, [], { secure: true });
    try {
      expect(second.stdout()).not.toMatch(/nbk_/);
      expect(second.stdout()).toContain(join(dir, 'admin.key'));
      expect(await fetch(`${second.url}/v1/actions`).then((r) => r.status)).toBe(401);
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  }, 120_000);

  it('refuses no-auth mode off loopback', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nb-boot-')), 'data');
    await expect(startServer(dir, {}, ['--no-auth', '--host', '0.0.0.0'], { secure: true })).rejects.toThrow(/loopback/);
  }, 60_000);
});
