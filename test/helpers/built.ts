import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The sources as JavaScript, for tests that start node processes (`nextbest serve`, a crash
 * child, a committer). Such a process started with `--import tsx` spent ~2 s more CPU to
 * start (a serve: ~4.4 s against ~2.3 s) running every module through tsx's loader hooks.
 *
 * src/ and test/ (less the test files) are transpiled by esbuild, the transpiler tsx itself
 * uses, with the project's tsconfig.json and tsx's options (this
 * node's target, names kept), file by file (not bundled: the imports, the
 * worker entries and the `import.meta.url` paths are the modules' own), into a folder laid out
 * as the repository is: catalogue/, scenarios/, dist/ (the built console), node_modules/ and
 * package.json are links to this checkout's, so `../../catalogue/default.yaml` from
 * src/engine/parts.js is the repository's file, as from the .ts. The folder is named after
 * the sources' paths, sizes and mtimes, so a change to any of them (in watch mode too)
 * builds a new one before the next process starts; processes of one run share it.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const LINKED = ['node_modules', 'catalogue', 'scenarios', 'dist', 'package.json'];

function sources(): string[] {
  const files: string[] = [];
  for (const top of ['src', 'test']) {
    for (const f of readdirSync(join(root, top), { recursive: true, encoding: 'utf8' })) {
      if (f.endsWith('.ts') && !f.endsWith('.test.ts')) files.push(join(top, f));
    }
  }
  return files.sort();
}

let current: { key: string; dir: string } | undefined;

/** The folder of JavaScript for the sources as they are now; built when they changed. */
export function builtRoot(): string {
  const files = sources();
  const h = createHash('sha256');
  for (const f of ['tsconfig.json', ...files]) {
    const s = statSync(join(root, f));
    h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  const key = h.digest('hex').slice(0, 16);
  if (current?.key === key) return current.dir;
  const prefix = `nextbest-test-build-${createHash('sha256').update(root).digest('hex').slice(0, 8)}-`;
  const dir = join(tmpdir(), `${prefix}${key}`);
  if (!existsSync(join(dir, 'complete'))) build(files, dir);
  removeOlder(prefix, dir);
  current = { key, dir };
  return dir;
}

function build(files: string[], dir: string): void {
  // esbuild is tsx's own dependency: resolved from tsx, whichever copy npm hoisted.
  const esbuild = createRequire(createRequire(join(root, 'package.json')).resolve('tsx/package.json'))('esbuild') as { buildSync(o: Record<string, unknown>): unknown };
  // Built beside, then renamed into place: two test workers may build at once, and a reader never sees half a build.
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  esbuild.buildSync({ entryPoints: files.map((f) => join(root, f)), outdir: tmp, outbase: root, format: 'esm', platform: 'node', target: `node${process.versions.node}`, bundle: false, keepNames: true, tsconfig: join(root, 'tsconfig.json'), logLevel: 'error' });
  for (const l of LINKED) symlinkSync(join(root, l), join(tmp, l));
  writeFileSync(join(tmp, 'complete'), `${new Date().toISOString()}\n`);
  try {
    renameSync(tmp, dir);
  } catch (e) {
    // Another worker renamed its build first: the same sources, so the same files.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'complete'))) throw e;
  }
}

/** Builds of this checkout's earlier sources, older than ten minutes (no run of this checkout still uses them). */
function removeOlder(prefix: string, keep: string): void {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    const path = join(base, name);
    if (!name.startsWith(prefix) || path === keep || name.endsWith('.tmp')) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > 600_000) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed meanwhile
    }
  }
}

/** The JavaScript of a source file given from the repository's root (`src/cli/main.ts`). */
export function built(source: string): string {
  if (!source.endsWith('.ts')) throw new Error(`built(${source}): a .ts file under src/ or test/ is expected`);
  const path = join(builtRoot(), source.slice(0, -'.ts'.length) + '.js');
  if (!existsSync(path)) throw new Error(`built(${source}): ${path} is missing: not a source under src/ or test/?`);
  return path;
}

/**
 * Node's arguments to run a source file as a process: `[...nodeArgs(s), ...itsArgs]` for
 * `spawn(process.execPath, …)`. Under vitest the built JavaScript; elsewhere (the benches
 * that start servers with these helpers) through tsx as before, so their profiles keep
 * naming the .ts files.
 */
export function nodeArgs(source: string): string[] {
  return process.env.VITEST ? [built(source)] : ['--import', 'tsx', source];
}
