import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from '../helpers/built.js';
import { describe, expect, it } from 'vitest';
import { exited, startServer } from '../helpers/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('one process per data dir', () => {
  it('a second `nextbest serve` on the same data dir exits 1 naming the first; the lock goes when the first stops', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'nb-lock-')), 'data');
    const first = await startServer(dataDir);
    try {
      const second = spawnSync(process.execPath, [...nodeArgs('src/cli/main.ts'), 'serve', '--port', '0', '--data-dir', dataDir], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NEXTBEST_LOG_LEVEL: 'silent' } });
      expect(second.status).toBe(1);
      expect(second.stderr).toContain(`error DATA_DIR_LOCKED: the data dir ${dataDir} is in use by process ${first.child.pid}`);
      expect(second.stdout).not.toContain('listening');
      // The demo starts fresh by deleting its data dir: not one another process is serving.
      const demo = spawnSync(process.execPath, [...nodeArgs('src/cli/main.ts'), 'demo', '--no-serve', '--no-train', '--no-compare', '--customers', '20', '--days', '10', '--data-dir', dataDir], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(demo.status).toBe(1);
      expect(demo.stderr).toContain('DATA_DIR_LOCKED');
      expect(existsSync(join(dataDir, 'nextbest.db'))).toBe(true);
    } finally {
      first.child.kill('SIGTERM');
      expect(await exited(first.child)).toBe('0');
    }
    expect(existsSync(join(dataDir, 'nextbest.lock'))).toBe(false);
  }, 90_000);
});
