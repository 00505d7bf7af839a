import { readFileSync, writeFileSync } from 'node:fs';
import { buildPeerGroups, chooseK, fitScaler, matrixFromRows, segmentCustomers, standardize, type FeatureWords } from '../models/segmentation/index.js';
import { parseCommand, numberOption, required, UsageError } from './args.js';
import { columnIndex, isMissingField, listOption, numberAt, printJson, readTable } from './csvColumns.js';

const spec = {
  usage: 'nextbest segment --data FILE --columns A,B,C [--k 5 | --k-range 2-10 [--pick silhouette|elbow]] [--seed 0] [--n-init 10] [--mini-batch] [--words FILE.json] [--holdings X,Y] [--assignments FILE --id COL]',
  summary:
    'Segments customers with k-means on standardised features (population SD, as scikit-learn StandardScaler; rows with a missing value in a chosen column dropped) and prints JSON: k, inertia, sizes, centres in original units and z-scores, and each segment in words. With --k-range it also prints the silhouette (on a seeded sample) and the elbow of every k, and keeps the k that --pick names.',
  options: {
    data: { type: 'string' },
    columns: { type: 'string' },
    k: { type: 'string' },
    'k-range': { type: 'string' },
    seed: { type: 'string', default: '0' },
    'n-init': { type: 'string' },
    'mini-batch': { type: 'boolean' },
    'batch-size': { type: 'string', default: '1024' },
    raw: { type: 'boolean' },
    'silhouette-sample': { type: 'string', default: '2000' },
    pick: { type: 'string', default: 'silhouette' },
    'max-traits': { type: 'string', default: '3' },
    words: { type: 'string' },
    holdings: { type: 'string' },
    assignments: { type: 'string' },
    id: { type: 'string' },
  },
  help: {
    data: 'CSV file with a header row',
    columns: 'Comma-separated numeric feature columns',
    k: 'Number of segments (default 5)',
    'k-range': 'Try every k in MIN-MAX, report silhouette and elbow, keep the best silhouette',
    seed: 'Seed of k-means++ and of the restarts',
    'n-init': 'k-means++ restarts, lowest inertia kept (default 10; 3 with --mini-batch)',
    'mini-batch': 'Mini-batch k-means (Sculley 2010) for millions of rows',
    'batch-size': 'Rows per mini-batch',
    raw: 'Cluster the raw values (no standardisation)',
    'silhouette-sample': 'Rows sampled for the silhouette with --k-range',
    pick: 'With --k-range, keep the k with the best silhouette or the elbow k (silhouette|elbow)',
    'max-traits': 'Features named in each description',
    words: 'JSON file: [{"column","label","high","low","highName","lowName"}] words for the describer',
    holdings: 'Comma-separated 0/1 product-holding columns: per-segment holding rates',
    assignments: 'Write id,segment,name for every used row to this CSV',
    id: 'Column to label rows in --assignments (default: data line number)',
  },
} as const;

function readWords(path: string | undefined, columns: string[]): FeatureWords[] {
  if (path === undefined) return columns.map((column) => ({ column }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--words: cannot read ${path} as JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new UsageError('--words: expected a JSON array of {"column", "label", ...}');
  const byColumn = new Map<string, FeatureWords>();
  for (const w of parsed as FeatureWords[]) {
    if (typeof w?.column !== 'string') throw new UsageError('--words: every entry needs a "column" string');
    for (const key of ['label', 'high', 'low', 'highName', 'lowName'] as const) {
      if (w[key] !== undefined && typeof w[key] !== 'string') throw new UsageError(`--words: "${key}" of column "${w.column}" must be a string`);
    }
    byColumn.set(w.column, w);
  }
  return columns.map((column) => byColumn.get(column) ?? { column });
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function positiveInteger(v: Record<string, unknown>, name: string, fallback: number): number {
  const n = numberOption(v, name, fallback);
  if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`--${name} must be a whole number >= 1, got ${String(v[name])}`);
  return n;
}

/** `nextbest segment` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const columns = listOption(required(v, 'columns'));
  if (columns.length === 0) throw new UsageError('--columns must name at least one column');
  if (v.k !== undefined && v['k-range'] !== undefined) throw new UsageError('give either --k or --k-range, not both');
  const seed = numberOption(v, 'seed', 0);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be a whole number, got ${v.seed}`);
  const miniBatch = v['mini-batch'] === true;
  const nInit = positiveInteger(v, 'n-init', miniBatch ? 3 : 10);
  const batchSize = positiveInteger(v, 'batch-size', 1024);
  let kRange: [number, number] | undefined;
  if (v['k-range'] !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(v['k-range']);
    if (!m || Number(m[1]) < 2 || Number(m[2]) < Number(m[1])) throw new UsageError(`--k-range must look like 2-10 (from 2, MIN <= MAX), got ${v['k-range']}`);
    kRange = [Number(m[1]), Number(m[2])];
  }
  let k = positiveInteger(v, 'k', 5);
  if (v.pick !== 'silhouette' && v.pick !== 'elbow') throw new UsageError(`--pick must be silhouette or elbow, got ${v.pick}`);

  const table = readTable(required(v, 'data'), 'data');
  const idx = columns.map((c) => columnIndex(table, c, 'columns'));
  const holdingNames = listOption(v.holdings);
  const holdingIdx = holdingNames.map((c) => columnIndex(table, c, 'holdings'));
  const idCol = v.id !== undefined ? columnIndex(table, v.id, 'id') : -1;
  const used: number[] = [];
  const rows: number[][] = [];
  table.rows.forEach((r, i) => {
    if (idx.some((c) => isMissingField(r[c]))) return;
    used.push(i);
    rows.push(idx.map((c) => numberAt(table, i, c, 'columns')));
  });
  const dropped = table.rows.length - used.length;
  process.stderr.write(`segment: ${table.rows.length} rows read, ${dropped} dropped for a missing value in ${columns.join(', ')}\n`);
  const matrix = matrixFromRows(rows, columns);
  const words = readWords(v.words, columns);

  let choice: ReturnType<typeof chooseK> | undefined;
  if (kRange) {
    process.stderr.write(`segment: trying k = ${kRange[0]}..${kRange[1]}\n`);
    const input = v.raw ? matrix : standardize(matrix, fitScaler(matrix));
    choice = chooseK(input, { kMin: kRange[0], kMax: kRange[1], seed, nInit, miniBatch, silhouetteSample: numberOption(v, 'silhouette-sample', 2000) });
    k = v.pick === 'elbow' ? choice.elbow : choice.bestBySilhouette;
  }
  const started = performance.now();
  const seg = segmentCustomers(matrix, words, { k, seed, nInit, miniBatch, batchSize, standardize: !v.raw, maxTraits: positiveInteger(v, 'max-traits', 3) });
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`segment: k = ${k}, inertia ${seg.clustering.inertia.toFixed(4)}, ${seconds.toFixed(2)} s\n`);

  const holdings = holdingNames.map((name, h) => ({
    product: name,
    label: name,
    held: used.map((i) => {
      const raw = table.rows[i]![holdingIdx[h]!]!;
      if (raw !== '0' && raw !== '1' && raw !== 'true' && raw !== 'false') throw new UsageError(`--holdings: column "${name}" line ${i + 2} is "${raw}", expected 0/1`);
      return raw === '1' || raw === 'true';
    }),
  }));
  const peers = buildPeerGroups(matrix, seg.clustering.labels, k, columns, holdings);
  const d = columns.length;
  const named = (arr: Float64Array, s: number) => Object.fromEntries(columns.map((c, j) => [c, arr[s * d + j]!]));
  const out = {
    rowsRead: table.rows.length,
    rowsDropped: dropped,
    rowsUsed: used.length,
    columns,
    standardized: !v.raw,
    method: miniBatch ? 'mini-batch' : 'lloyd',
    seed,
    nInit,
    k,
    inertia: seg.clustering.inertia,
    iterations: seg.clustering.iterations,
    converged: seg.clustering.converged,
    sizes: seg.clustering.sizes,
    scaler: { mean: Array.from(seg.scaler.mean), sd: Array.from(seg.scaler.sd) },
    segments: seg.descriptions.map((desc, s) => ({
      segment: s,
      name: desc.name,
      description: desc.summary,
      size: seg.clustering.sizes[s],
      share: seg.clustering.sizes[s]! / used.length,
      centre: named(seg.centres, s),
      centreZ: named(seg.centresZ, s),
      ...(holdings.length > 0 ? { holdingRates: Object.fromEntries(holdingNames.map((h, p) => [h, peers.holdingRates[s]![p]!])) } : {}),
    })),
    ...(choice ? { chooseK: choice } : {}),
  };
  printJson(out);
  if (v.assignments) {
    const lines = ['id,segment,name'];
    used.forEach((row, r) => {
      const s = seg.clustering.labels[r]!;
      const id = idCol >= 0 ? table.rows[row]![idCol]! : String(row + 2);
      lines.push(`${csvField(id)},${s},${csvField(seg.descriptions[s]!.name)}`);
    });
    writeFileSync(v.assignments, `${lines.join('\n')}\n`);
    process.stderr.write(`segment: wrote ${used.length} assignments to ${v.assignments}\n`);
  }
  return 0;
}
