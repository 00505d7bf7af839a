import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { built } from '../helpers/built.js';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { LOCK_FILE } from '../../src/store/sqlite/dataDirLock.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'nb-datadir-'));
  dirs.push(d);
  return join(d, 'data');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Opens the data dir's database from a second process; returns its exit code and stderr. */
function openFromAnotherProcess(dataDir: string) {
  const script = `import('${built('src/store/sqlite/db.ts')}').then((m) => { m.openSqlite(${JSON.stringify(join(dataDir, 'nextbest.db'))}).close(); }).catch((e) => { console.error(e.code + ': ' + e.message); process.exit(7); });`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('the data dir', () => {
  it('is held by one process: a second one gets DATA_DIR_LOCKED naming the holder, and may open it once the first closes', () => {
    const dataDir = fresh();
    const db = openSqlite(join(dataDir, 'nextbest.db'));
    const second = openSqlite(join(dataDir, 'decisions.db'), { migrations: { module: 'x', list: [] } }); // same process: shared
    const blocked = openFromAnotherProcess(dataDir);
    expect(blocked.status).toBe(7);
    expect(blocked.stderr).toContain('DATA_DIR_LOCKED');
    expect(blocked.stderr).toContain(`process ${process.pid}`);
    db.close();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true); // the second database still holds it
    second.close();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    expect(openFromAnotherProcess(dataDir).status).toBe(0);
  });

  it('takes over a lock left by a process that died', () => {
    const dataDir = fresh();
    openSqlite(join(dataDir, 'nextbest.db')).close();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid: Number(gone.stdout), host: hostname(), command: 'killed', since: '2026-01-01' }));
    const db = openSqlite(join(dataDir, 'nextbest.db'));
    db.close();
  });

  it('keeps its folder 0700 and every file 0600, WAL and lock included', () => {
    const dataDir = fresh();
    const db = openSqlite(join(dataDir, 'nextbest.db'));
    db.prepare("INSERT INTO customers (customer_id, body, updated_at) VALUES ('c-1', '{}', 0)").run();
    const files = readdirSync(dataDir);
    expect(files).toEqual(expect.arrayContaining(['nextbest.db', 'nextbest.db-wal', 'nextbest.db-shm', LOCK_FILE]));
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const f of files) expect([f, statSync(join(dataDir, f)).mode & 0o777]).toEqual([f, 0o600]);
    db.close();
  });
});
