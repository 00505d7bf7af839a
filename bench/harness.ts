import { cpus, totalmem, loadavg } from 'node:os';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One measured figure. `peer` is the same figure for a peer (e.g. XGBoost) in the same run. */
export interface BenchRow {
  case: string;
  metric: string;
  value: number;
  unit: string;
  goal?: string;
  peer?: { name: string; value: number };
  /** ours / peer for times, or as stated in `note`. */
  ratio?: number;
  note?: string;
}

export interface BenchReport {
  name: string;
  ranAt: string;
  machine: { cpu: string; cores: number; memGiB: number; node: string; loadavg: number[] };
  rows: BenchRow[];
  notes: string[];
}

export interface Bench {
  name: string;
  /** Runs the benchmark; `quick` shrinks sizes for a smoke run. */
  run(opts: { quick: boolean }): Promise<{ rows: BenchRow[]; notes?: string[] }>;
}

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');

export function machine(): BenchReport['machine'] {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Writes `results/<name>.json` and `results/<name>.md` (a table for README). */
export function writeReport(name: string, rows: BenchRow[], notes: string[]): BenchReport {
  const report: BenchReport = { name, ranAt: new Date().toISOString(), machine: machine(), rows, notes };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(resultsDir, `${name}.md`), markdown(report));
  return report;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-GB') : Number(x.toPrecision(4)).toString());

export function markdown(r: BenchReport): string {
  const lines = [
    `### ${r.name} (${r.ranAt.slice(0, 10)}, ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node})`,
    '',
    '| case | metric | ours | peer | ratio | goal |',
    '|---|---|---|---|---|---|',
    ...r.rows.map(
      (row) =>
        `| ${row.case} | ${row.metric} | ${fmt(row.value)} ${row.unit} | ${row.peer ? `${row.peer.name}: ${fmt(row.peer.value)} ${row.unit}` : ''} | ${row.ratio !== undefined ? `${row.ratio.toFixed(2)}×` : ''} | ${row.goal ?? ''} |`,
    ),
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}

/** Percentile of a sorted-or-not sample (nearest rank). */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
