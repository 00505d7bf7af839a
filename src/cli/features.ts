import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { parseCsv } from '../core/csv.js';
import { GLOBAL_CUSTOMER } from '../core/events.js';
import { createEngine, csvHeader, csvRow, loadConfig, loadFeatures, streamFeatureRows, type AsOfPair, type FeatureSet } from '../index.js';
import { parseCommand, UsageError } from './args.js';
import { ProgressBar } from './progress.js';

const backfillSpec = {
  usage: 'nextbest features backfill (--asof-file PAIRS.csv | --asof TIME [--customers all|ID,ID,...]) --out FEATURES.csv [--definitions FILE] [--data-dir DIR]',
  summary:
    'Builds point-in-time feature rows from the event log: for each (customer, as-of) pair, every feature counts only events that happened at or before as-of (no leakage). Streams the log in event-time order with bounded memory; writes CSV (customer_id, as_of, one column per feature; empty = no value) in as-of order. Prints a JSON summary.',
  options: {
    'asof-file': { type: 'string' },
    asof: { type: 'string' },
    customers: { type: 'string', default: 'all' },
    out: { type: 'string' },
    definitions: { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    'asof-file': 'CSV with columns customer_id and as_of (ISO 8601 with offset)',
    asof: 'One as-of time (ISO 8601 with offset) for every customer in --customers',
    customers: 'With --asof: all customers with events, or a comma-separated list of ids',
    out: 'Where to write the feature CSV',
    definitions: 'A YAML/JSON definitions file (default: the configured definitions, else the bank pack)',
    'data-dir': 'Where the embedded store keeps its files',
    config: 'Config file',
  },
} as const;

const listSpec = {
  usage: 'nextbest features list [--definitions FILE]',
  summary: 'Validates and prints the feature definitions (name, kind, scope: customer or market, unit, meaning, definition) as JSON.',
  options: { definitions: { type: 'string' }, config: { type: 'string', default: 'nextbest.config.yaml' } },
  help: { definitions: 'A YAML/JSON definitions file (default: the configured definitions, else the bank pack)', config: 'Config file' },
} as const;

const USAGE = `Usage: nextbest features <backfill|list> [options]\n\n  backfill  ${backfillSpec.summary.split('. ')[0]}.\n  list      ${listSpec.summary}\n\nRun \`nextbest features <subcommand> --help\` for its options.`;

/** `nextbest features` */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'list') return list(rest);
  if (sub === 'backfill') return backfill(rest);
  throw new UsageError(`unknown subcommand "${sub}"\n\n${USAGE}`);
}

function definitions(file: string | undefined, configFile: string): FeatureSet {
  return loadFeatures(file ?? loadConfig(configFile).features.definitions);
}

async function list(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, listSpec);
  if (!parsed) return 0;
  const fs = definitions(parsed.values.definitions, parsed.values.config);
  const features = fs.info.map((f) => ({ name: f.name, kind: f.kind, scope: f.scope, unit: f.unit ?? null, description: f.description, definition: f.definition }));
  process.stdout.write(`${JSON.stringify({ version: fs.version, count: features.length, features }, null, 2)}\n`);
  return 0;
}

function parseTime(text: string, where: string): number {
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(t)) throw new UsageError(`${where}: "${text}" is not an ISO 8601 time with an offset (e.g. 2026-06-30T00:00:00Z)`);
  return t;
}

/** Reads (customer, as-of) pairs from a CSV, naming the line and column of any bad value. */
async function readPairs(path: string): Promise<AsOfPair[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--asof-file: cannot read ${path}: ${(e as Error).message}`);
  }
  const table = parseCsv(text);
  const col = (names: string[]) => table.header.findIndex((h) => names.includes(h.trim()));
  const c = col(['customer_id', 'customerId']);
  const a = col(['as_of', 'asOf']);
  if (c < 0 || a < 0) throw new UsageError(`--asof-file ${path}: needs columns customer_id and as_of; found ${table.header.join(', ')}`);
  return table.rows.map((row, i) => {
    const customerId = row[c]!.trim();
    if (customerId === '') throw new UsageError(`--asof-file ${path} line ${i + 2}: column customer_id is empty`);
    return { customerId, asOf: parseTime(row[a]!.trim(), `--asof-file ${path} line ${i + 2} column as_of`) };
  });
}

async function backfill(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, backfillSpec);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.out) throw new UsageError(`--out is required\n\nUsage: ${backfillSpec.usage}`);
  if ((v['asof-file'] === undefined) === (v.asof === undefined)) throw new UsageError(`give exactly one of --asof-file and --asof\n\nUsage: ${backfillSpec.usage}`);
  const features = definitions(v.definitions, v.config);
  const pairsFromFile = v['asof-file'] !== undefined ? await readPairs(v['asof-file']) : undefined;
  const asOf = v.asof !== undefined ? parseTime(v.asof, '--asof') : undefined;
  const engine = await createEngine(loadConfig(v.config, process.env, { log: { level: 'warn' }, ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}) }));
  const started = Date.now();
  try {
    let pairs = pairsFromFile;
    if (!pairs) {
      const ids: string[] = [];
      // The global id's saved state is the market timeline, not a customer.
      if (v.customers === 'all') for await (const page of engine.stores.profiles.customerIds(10_000)) ids.push(...page.filter((id) => id !== GLOBAL_CUSTOMER));
      else ids.push(...v.customers.split(',').map((s) => s.trim()).filter(Boolean));
      pairs = ids.map((customerId) => ({ customerId, asOf: asOf! }));
    }
    const maxAsOf = pairs.reduce((m, p) => Math.max(m, p.asOf), Number.NEGATIVE_INFINITY);
    const total = pairs.length > 0 ? await engine.stores.eventLog.count({ toT: maxAsOf + 1, types: features.eventTypes }) : 0;
    const bar = new ProgressBar('features backfill', total, 'events');
    const out = createWriteStream(v.out);
    out.write(`${csvHeader(features)}\n`);
    const lines: string[] = [];
    const flush = async () => {
      if (lines.length === 0) return;
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      lines.length = 0;
    };
    const result = await streamFeatureRows(engine.stores.eventLog, features, pairs, (i, row) => lines.push(csvRow(pairs[i]!, row)), {
      onProgress: async (scanned, rows) => {
        bar.update(scanned, `${rows.toLocaleString('en-GB')} rows`);
        await flush();
      },
    });
    out.end();
    await once(out, 'finish');
    bar.finish(result.eventsScanned, `${result.rows.toLocaleString('en-GB')} rows`);
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`${JSON.stringify({ out: v.out, rows: result.rows, features: features.size, definitionsVersion: features.version, eventsScanned: result.eventsScanned, seconds }, null, 2)}\n`);
    return 0;
  } finally {
    await engine.close();
  }
}
