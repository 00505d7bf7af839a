import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport, markdown, type Bench } from './harness.js';

/**
 * `npm run bench [-- name ...] [-- --quick]`: runs every bench/*.bench.ts (or the named
 * ones) and writes bench/results/<name>.json and .md.
 */
const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace('.bench.ts', '')));

for (const file of files) {
  const bench = (await import(`./${file}`)).default as Bench;
  process.stderr.write(`bench ${bench.name} ...\n`);
  const { rows, notes } = await bench.run({ quick });
  const report = writeReport(bench.name, rows, notes ?? []);
  process.stdout.write(`${markdown(report)}\n`);
}
