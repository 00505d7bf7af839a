/**
 * Cold start of the installed command: the package as a user gets it (`npm pack`, which
 * builds dist/, unpacked into an empty project with its production dependencies linked from
 * this checkout, as test/package/pack.test.ts does), then `nextbest --help` and a command's
 * own `--help` run from a third directory. The floor is `node -e 0` in the same run: what
 * starting Node costs on this machine before any of our code loads.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { root } from './decideFixtures.js';
import { percentile, type Bench, type BenchRow } from './harness.js';

/** Production packages from package-lock.json, top level only; tsx left out, as an install from the registry would not need it. */
function productionDependencies(): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('node_modules/') && !p.dev)
    .map(([path]) => path.slice('node_modules/'.length))
    .filter((d) => d !== 'tsx');
}

/** Wall times (ms) of `runs` runs of a command, in `cwd`. */
function times(cmd: string, args: string[], cwd: string, runs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    out.push(performance.now() - t);
  }
  return out;
}

const bench: Bench = {
  name: 'startup',
  async run({ quick }) {
    const notes = [`Load average at start ${loadavg().map((x) => x.toFixed(1)).join(' / ')} on 2 cores; the floor runs in the same conditions.`];
    const work = mkdtempSync(join(tmpdir(), 'nb-startup-'));
    try {
      let t = performance.now();
      const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string }[];
      const pkg = join(work, 'project', 'node_modules', 'nextbest');
      mkdirSync(pkg, { recursive: true });
      execFileSync('tar', ['-xzf', join(work, packed[0]!.filename), '-C', pkg, '--strip-components=1']);
      for (const dep of productionDependencies()) {
        mkdirSync(dirname(join(work, 'project', 'node_modules', dep)), { recursive: true });
        symlinkSync(join(root, 'node_modules', dep), join(work, 'project', 'node_modules', dep));
      }
      const bin = join(pkg, 'bin', 'nextbest.mjs');
      chmodSync(bin, 0o755);
      notes.push(`Packed (with the build) and installed in ${((performance.now() - t) / 1000).toFixed(0)} s; runs from ${work}/elsewhere, medians of ${quick ? 5 : 15} runs.`);
      const elsewhere = join(work, 'elsewhere');
      mkdirSync(elsewhere);
      const runs = quick ? 5 : 15;
      t = performance.now();
      const floor = percentile(times(process.execPath, ['-e', '0'], elsewhere, runs), 50);
      const rows: BenchRow[] = [];
      const row = (metric: string, args: string[], goal?: string) => {
        const v = percentile(times(process.execPath, [bin, ...args], elsewhere, runs), 50);
        rows.push({ case: 'installed package (dist/), from another directory', metric, value: v, unit: 'ms', peer: { name: 'node -e 0', value: floor }, ratio: v / floor, ...(goal ? { goal } : {}) });
      };
      row('`nextbest --help` (median wall time)', ['--help'], '≤ 150 ms');
      row('`nextbest serve --help` (loads the engine and the server)', ['serve', '--help']);
      row('`nextbest decide --help`', ['decide', '--help']);
      return { rows, notes };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};

export default bench;
