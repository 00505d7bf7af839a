/**
 * The package as a user gets it: `npm pack` (which builds dist/), installed into an empty
 * project, and the `nextbest` bin run from a third directory, as after a global install.
 *
 * How it is installed: the tarball is unpacked into node_modules/nextbest with its bin
 * linked, which is what `npm install <tgz>` does for the package itself. Its production
 * dependencies (the closure in package-lock.json, dev ones left out) are symlinked from this
 * repository's node_modules instead of being installed, because better-sqlite3 builds from
 * source (~85 s) and the machine may be offline. So this checks what the tarball holds (the
 * built dist/, bin, catalogue) and that it runs outside the package folder; that the
 * dependency versions resolve from the registry is `npm ci`'s job. Like npm, the unpacking
 * does not keep the tarball's mtimes, and the sources are then touched to be newer than dist/
 * (the worst order npm could extract them in); tsx is left out of node_modules, so the
 * command can only work if it runs the built dist/, as an installed package should.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exited } from '../helpers/server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'nb-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Production packages from package-lock.json, top level only (nested ones resolve from their real path). */
function productionDependencies(): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('node_modules/') && !p.dev)
    .map(([path]) => path.slice('node_modules/'.length));
}

/** Packs the repository, installs the tarball into an empty project; returns the bin's path. */
function install(): string {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string; files: { path: string }[] }[];
  const files = packed[0]!.files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining(['dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/engine.js', 'dist/engine.d.ts', 'bin/nextbest.mjs', 'catalogue/default.yaml']));
  const project = join(work, 'project');
  const pkg = join(project, 'node_modules', 'nextbest');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'tries-nextbest', private: true, dependencies: { nextbest: `file:${packed[0]!.filename}` } }));
  execFileSync('tar', ['-xzf', join(work, packed[0]!.filename), '-C', pkg, '--strip-components=1', '--touch']);
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(pkg, 'src', 'cli', 'main.ts'), later, later);
  for (const dep of productionDependencies().filter((d) => d !== 'tsx')) {
    mkdirSync(dirname(join(project, 'node_modules', dep)), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), join(project, 'node_modules', dep));
  }
  const bin = join(project, 'node_modules', '.bin', 'nextbest');
  mkdirSync(dirname(bin), { recursive: true });
  symlinkSync('../nextbest/bin/nextbest.mjs', bin);
  chmodSync(join(pkg, 'bin', 'nextbest.mjs'), 0o755);
  return bin;
}

describe('the packed package, installed elsewhere', () => {
  it('runs `nextbest demo --no-serve` and `nextbest serve` from another directory; a decision is 200 and logged', async () => {
    const bin = install();
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere);
    const env = { ...process.env, NEXTBEST_LOG_LEVEL: 'warn', NODE_OPTIONS: '' };
    const demo = spawnSync(bin, ['demo', '--no-serve', '--no-compare', '--customers', '200', '--days', '30'], { cwd: elsewhere, env, encoding: 'utf8', timeout: 120_000 });
    expect(demo.stderr).not.toMatch(/MODULE_NOT_FOUND|Cannot find module/);
    expect([demo.status, demo.stdout.split('\n').at(-2)]).toEqual([0, 'done (--no-serve).']);
    expect(demo.stdout).toMatch(/next best action on email: /);

    const server = spawn(bin, ['serve', '--port', '0', '--data-dir', '.nextbest/demo'], { cwd: elsewhere, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    server.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
      });
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      // Secure by default: the demo's data dir holds the admin key the demo created (0600).
      const auth = { authorization: `Bearer ${readFileSync(join(elsewhere, '.nextbest/demo/admin.key'), 'utf8').trim()}` };
      const res = await fetch(`${url}/v1/decisions`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ customerId: 'c0000002', channel: 'in_app' }) });
      const decision = (await res.json()) as { decisionId: string };
      expect([res.status, err]).toEqual([200, '']);
      // The decision log is written by a worker thread: the read-back proves it loaded its modules.
      expect((await fetch(`${url}/v1/decisions/${decision.decisionId}`, { headers: auth })).status).toBe(200);
    } finally {
      server.kill('SIGTERM');
      expect(await exited(server)).toBe('0');
    }
  }, 180_000);
});
