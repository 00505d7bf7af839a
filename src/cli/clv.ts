import { readFileSync, writeFileSync } from 'node:fs';
import type { CsvTable } from '../core/csv.js';
import {
  bgBbConditionalExpectedTransactions,
  bgBbProbabilityAlive,
  dayNumber,
  fitBgBb,
  fitBgNbd,
  fitGammaGamma,
  predictCustomerValue,
  summarizeTransactions,
  type BgBbParams,
  type BgBbSummary,
  type BgNbdParams,
  type GammaGammaParams,
  type RfmSummary,
  validateBgBb,
} from '../models/clv/index.js';
import { parseCommand, numberOption, required, UsageError } from './args.js';
import { columnIndex, numberAt, printJson, readTable } from './csvColumns.js';

const columnOptions = {
  data: { type: 'string' },
  id: { type: 'string' },
  frequency: { type: 'string', default: 'frequency' },
  recency: { type: 'string', default: 'recency' },
  T: { type: 'string', default: 'T' },
  monetary: { type: 'string' },
  weight: { type: 'string' },
} as const;
const columnHelp = {
  data: 'Per-customer summary CSV (one row per customer; e.g. from `nextbest clv summary`)',
  id: 'Customer id column (default: data line number)',
  frequency: 'Repeat purchases (whole number)',
  recency: 'Time from first to last purchase',
  T: 'Time from first purchase to the end of the observation period (same unit as recency)',
  monetary: 'Mean value of the repeat purchases (enables the Gamma-Gamma spend model)',
  weight: 'Column with how many customers each row stands for (a summary of identical histories with counts); default 1 each',
};

const fitSpec = {
  usage:
    'nextbest clv fit [--model bgnbd|bgbb] --data FILE [--frequency COL --recency COL --T COL | --n COL] [--weight COL] [--monetary COL] [--out params.json]',
  summary:
    'Fits by maximum likelihood and prints JSON (parameters, standard errors from the observed information, log-likelihood, warnings): --model bgnbd (default), the BG/NBD of repeat purchases in continuous time (Fader, Hardie & Lee 2005), with --monetary also the Gamma-Gamma spend model (Fader & Hardie 2013); --model bgbb, the BG/BB for discrete opportunities such as yearly donations or monthly product holding (Fader, Hardie & Shang 2010), from frequency x, recency t_x (the opportunity of the last transaction, 0 without any) and n opportunities. A fit at a limit of the model (e.g. nobody drops out) is reported as degenerate, with a warning on stderr.',
  options: { ...columnOptions, model: { type: 'string', default: 'bgnbd' }, n: { type: 'string', default: 'n' }, out: { type: 'string' } },
  help: {
    ...columnHelp,
    model: 'bgnbd (continuous time: frequency, recency, T) or bgbb (discrete opportunities: frequency, recency, n)',
    n: 'bgbb: number of transaction opportunities of each customer',
    out: 'Also write the parameters to this JSON file (input of `clv predict --params`)',
  },
} as const;

const predictSpec = {
  usage: 'nextbest clv predict --data FILE --params params.json [--horizon 12] [--period 4.345] [--discount 0.01] [--format jsonl|csv]',
  summary:
    "Prints, per customer: P(alive), purchases expected over the horizon, expected spend per purchase and the discounted lifetime value (lifetimes' customer_lifetime_value: horizon in whole periods, each period's expected purchases x expected spend / (1 + discount)^period). With parameters from `clv fit --model bgbb`: P(alive at the next opportunity) and the transactions expected in the next --horizon opportunities.",
  options: {
    ...columnOptions,
    n: { type: 'string', default: 'n' },
    params: { type: 'string' },
    horizon: { type: 'string', default: '12' },
    period: { type: 'string', default: '1' },
    discount: { type: 'string', default: '0' },
    format: { type: 'string', default: 'jsonl' },
  },
  help: {
    ...columnHelp,
    params: 'JSON written by `clv fit --out` (or its printed output)',
    n: 'BG/BB: number of transaction opportunities of each customer',
    horizon: 'Number of whole periods ahead (BG/BB: opportunities ahead)',
    period: 'Length of one period in the data time unit (4.345 = a month of weeks)',
    discount: 'Discount rate per period',
    format: 'jsonl (one JSON object a line) or csv',
  },
} as const;

const summarySpec = {
  usage: 'nextbest clv summary --data FILE --customer COL --date COL --value COL --end YYYY-MM-DD [--period-days 7]',
  summary:
    "Builds the per-customer summary (id, frequency, recency, T, monetary) from a transaction CSV as lifetimes' summary_data_from_transaction_data: transactions after --end ignored, one purchase per customer per calendar day (values summed), times in --period-days units. Prints CSV.",
  options: {
    data: { type: 'string' },
    customer: { type: 'string' },
    date: { type: 'string' },
    value: { type: 'string' },
    end: { type: 'string' },
    'period-days': { type: 'string', default: '7' },
  },
  help: {
    data: 'Transaction CSV with a header row',
    customer: 'Customer id column',
    date: 'Date column (YYYY-MM-DD or YYYYMMDD)',
    value: 'Transaction value column',
    end: 'Last day of the observation (calibration) period',
    'period-days': 'Days per time unit of the output (7 = weeks)',
  },
} as const;

const USAGE = [
  'Usage: nextbest clv summary|fit|predict [options]',
  '',
  '  summary  Per-customer frequency/recency/T/monetary from a transaction CSV',
  '  fit      BG/NBD (+ Gamma-Gamma with --monetary) maximum-likelihood fit',
  '  predict  P(alive), expected purchases and discounted CLV per customer',
  '',
  'Run `nextbest clv <subcommand> --help` for the options.',
].join('\n');

/** The summary columns named by the flags, with ids. */
function readSummary(v: Record<string, unknown>, needMonetary: boolean): { ids: string[]; summary: RfmSummary } {
  const table: CsvTable = readTable(required(v, 'data'), 'data');
  const col = (flag: string) => columnIndex(table, v[flag] as string, flag);
  const [f, r, t] = [col('frequency'), col('recency'), col('T')];
  const m = v.monetary !== undefined ? col('monetary') : -1;
  if (needMonetary && m < 0) throw new UsageError('--monetary is required for this step');
  const idCol = v.id !== undefined ? col('id') : -1;
  const n = table.rows.length;
  const summary: RfmSummary = { frequency: new Float64Array(n), recency: new Float64Array(n), T: new Float64Array(n) };
  if (m >= 0) summary.monetary = new Float64Array(n);
  const weight = readWeight(table, v);
  if (weight) summary.weight = weight;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    summary.frequency[i] = numberAt(table, i, f, 'frequency');
    summary.recency[i] = numberAt(table, i, r, 'recency');
    summary.T[i] = numberAt(table, i, t, 'T');
    if (summary.monetary) summary.monetary[i] = numberAt(table, i, m, 'monetary');
    ids.push(idCol >= 0 ? table.rows[i]![idCol]! : String(i + 2));
  }
  return { ids, summary };
}

/** The --weight column (customers per row), or null. */
function readWeight(table: CsvTable, v: Record<string, unknown>): Float64Array | null {
  if (v.weight === undefined) return null;
  const c = columnIndex(table, v.weight as string, 'weight');
  return Float64Array.from(table.rows, (_, i) => {
    const w = numberAt(table, i, c, 'weight');
    if (w < 0) throw new UsageError(`--weight: column "${table.header[c]}" line ${i + 2} is ${w}; a count of customers cannot be negative`);
    return w;
  });
}

/** The BG/BB columns: frequency, recency (opportunity of the last transaction) and n. */
function readBgBbSummary(v: Record<string, unknown>): BgBbSummary {
  const table: CsvTable = readTable(required(v, 'data'), 'data');
  const col = (flag: string) => columnIndex(table, v[flag] as string, flag);
  const [f, r, n] = [col('frequency'), col('recency'), col('n')];
  const rows = table.rows.length;
  const summary: BgBbSummary = { frequency: new Float64Array(rows), recency: new Float64Array(rows), n: new Float64Array(rows) };
  for (let i = 0; i < rows; i++) {
    summary.frequency[i] = numberAt(table, i, f, 'frequency');
    summary.recency[i] = numberAt(table, i, r, 'recency');
    summary.n[i] = numberAt(table, i, n, 'n');
  }
  const weight = readWeight(table, v);
  if (weight) summary.weight = weight;
  return summary;
}

function warn(warnings: string[]): void {
  for (const w of warnings) process.stderr.write(`clv fit: warning: ${w}\n`);
}

async function runFit(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, fitSpec);
  if (!parsed) return 0;
  const v = parsed.values;
  const model = v.model;
  if (model === 'bgbb') {
    const summary = readBgBbSummary(v);
    const bb = fitBgBb(summary);
    process.stderr.write(`clv fit: BG/BB, ${bb.customers} customers in ${bb.patterns} (x, t_x, n) patterns\n`);
    warn(bb.warnings);
    const out = { model: 'bg/bb', columns: { frequency: v.frequency, recency: v.recency, n: v.n, weight: v.weight ?? null }, bgbb: bb };
    printJson(out);
    if (v.out) {
      writeFileSync(v.out, `${JSON.stringify(out, null, 2)}\n`);
      process.stderr.write(`clv fit: wrote parameters to ${v.out}\n`);
    }
    return 0;
  }
  if (model !== 'bgnbd') throw new UsageError(`--model must be bgnbd or bgbb, got ${model}`);
  if (v.weight !== undefined && v.monetary !== undefined) throw new UsageError('--weight: the Gamma-Gamma spend fit (--monetary) takes one row per customer, not weighted rows');
  const { summary } = readSummary(v, false);
  process.stderr.write(`clv fit: ${summary.frequency.length} rows${summary.weight ? ' (weighted)' : ''}\n`);
  const bg = fitBgNbd(summary);
  warn(bg.warnings);
  const out: Record<string, unknown> = { model: 'bg/nbd', columns: { frequency: v.frequency, recency: v.recency, T: v.T, monetary: v.monetary ?? null, weight: v.weight ?? null }, bgnbd: bg };
  if (summary.monetary) {
    const gg = fitGammaGamma(summary.frequency, summary.monetary);
    out.model = 'bg/nbd + gamma-gamma';
    out.gammaGamma = gg;
  }
  printJson(out);
  if (v.out) {
    writeFileSync(v.out, `${JSON.stringify(out, null, 2)}\n`);
    process.stderr.write(`clv fit: wrote parameters to ${v.out}\n`);
  }
  return 0;
}

function positiveParams<K extends string>(raw: unknown, keys: readonly K[], where: string): Record<K, number> {
  const o = (raw ?? {}) as Record<string, unknown>;
  const out = {} as Record<K, number>;
  for (const k of keys) {
    const value = o[k];
    if (typeof value !== 'number' || !(value > 0)) throw new UsageError(`--params: ${where}.${k} must be a positive number, got ${JSON.stringify(value)}`);
    out[k] = value;
  }
  return out;
}

async function runPredict(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, predictSpec);
  if (!parsed) return 0;
  const v = parsed.values;
  const format = v.format;
  if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format must be jsonl or csv, got ${format}`);
  const periods = numberOption(v, 'horizon', 12);
  if (!(Number.isInteger(periods) && periods >= 1)) throw new UsageError(`--horizon must be a whole number of periods >= 1, got ${v.horizon}`);
  const periodLength = numberOption(v, 'period', 1);
  if (!(periodLength > 0)) throw new UsageError(`--period must be > 0, got ${v.period}`);
  const discountRate = numberOption(v, 'discount', 0);
  if (!(discountRate > -1)) throw new UsageError(`--discount must be > -1, got ${v.discount}`);
  const paramsPath = required(v, 'params');
  let file: { bgnbd?: { params?: unknown }; gammaGamma?: { params?: unknown }; bgbb?: { params?: unknown } };
  try {
    file = JSON.parse(readFileSync(paramsPath, 'utf8'));
  } catch (e) {
    throw new UsageError(`--params: cannot read ${paramsPath} as JSON (${(e as Error).message})`);
  }
  if (file.bgbb) return predictBgBb(v, positiveParams(file.bgbb.params, ['alpha', 'beta', 'gamma', 'delta'] as const, 'bgbb.params'), periods, format);
  const bg: BgNbdParams = positiveParams(file.bgnbd?.params, ['r', 'alpha', 'a', 'b'] as const, 'bgnbd.params');
  const gg: GammaGammaParams | undefined = file.gammaGamma ? positiveParams(file.gammaGamma.params, ['p', 'q', 'gamma'] as const, 'gammaGamma.params') : undefined;
  const { ids, summary } = readSummary(v, gg !== undefined);
  const values = predictCustomerValue(bg, gg, summary, { periods, periodLength, discountRate });
  const lines: string[] = format === 'csv' ? ['id,frequency,recency,T,p_alive,expected_purchases,expected_spend,clv'] : [];
  values.forEach((c, i) => {
    const spend = Number.isNaN(c.expectedSpend) ? null : c.expectedSpend;
    const clv = Number.isNaN(c.lifetimeValue) ? null : c.lifetimeValue;
    const [x, tx, T] = [summary.frequency[i]!, summary.recency[i]!, summary.T[i]!];
    if (format === 'csv') lines.push([ids[i], x, tx, T, c.probabilityAlive, c.expectedPurchases, spend ?? '', clv ?? ''].join(','));
    else lines.push(JSON.stringify({ id: ids[i], frequency: x, recency: tx, T, pAlive: c.probabilityAlive, expectedPurchases: c.expectedPurchases, expectedSpend: spend, clv }));
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stderr.write(`clv predict: ${ids.length} customers, horizon ${periods} x ${periodLength}, discount ${discountRate} a period${gg ? '' : ' (no Gamma-Gamma parameters: spend and CLV are null)'}\n`);
  return 0;
}

/** Per row of a BG/BB summary: P(alive at the next opportunity) and transactions expected in the next `horizon`. */
function predictBgBb(v: Record<string, unknown>, params: BgBbParams, horizon: number, format: 'jsonl' | 'csv'): number {
  const summary = readBgBbSummary(v);
  validateBgBb(summary);
  const lines: string[] = format === 'csv' ? ['row,frequency,recency,n,p_alive,expected_transactions'] : [];
  for (let i = 0; i < summary.frequency.length; i++) {
    const [x, tx, n] = [summary.frequency[i]!, summary.recency[i]!, summary.n[i]!];
    const alive = bgBbProbabilityAlive(params, x, tx, n);
    const expected = bgBbConditionalExpectedTransactions(params, horizon, x, tx, n);
    if (format === 'csv') lines.push([i + 2, x, tx, n, alive, expected].join(','));
    else lines.push(JSON.stringify({ row: i + 2, frequency: x, recency: tx, n, pAlive: alive, expectedTransactions: expected }));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stderr.write(`clv predict: BG/BB, ${summary.frequency.length} rows, next ${horizon} opportunities\n`);
  return 0;
}

async function runSummary(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, summarySpec);
  if (!parsed) return 0;
  const v = parsed.values;
  const end = dayNumber(required(v, 'end'));
  if (Number.isNaN(end)) throw new UsageError(`--end must be a date YYYY-MM-DD, got ${v.end}`);
  const periodDays = numberOption(v, 'period-days', 7);
  if (!(periodDays > 0)) throw new UsageError(`--period-days must be > 0, got ${v['period-days']}`);
  const table = readTable(required(v, 'data'), 'data');
  const [c, d, val] = [columnIndex(table, required(v, 'customer'), 'customer'), columnIndex(table, required(v, 'date'), 'date'), columnIndex(table, required(v, 'value'), 'value')];
  const day = table.rows.map((r, i) => {
    const n = dayNumber(r[d]!);
    if (Number.isNaN(n)) throw new UsageError(`--date: column "${table.header[d]}" line ${i + 2} is "${r[d]}", not a date YYYY-MM-DD`);
    return n;
  });
  const s = summarizeTransactions({ customerId: table.rows.map((r) => r[c]!), day, value: table.rows.map((_, i) => numberAt(table, i, val, 'value')) }, end, periodDays);
  const lines = ['id,frequency,recency,T,monetary'];
  s.customerId.forEach((id, i) => lines.push([/[",]/.test(id) ? `"${id.replace(/"/g, '""')}"` : id, s.frequency[i], s.recency[i], s.T[i], s.monetary[i]].join(',')));
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stderr.write(`clv summary: ${table.rows.length} transactions, ${s.customerId.length} customers with a purchase on or before ${v.end}\n`);
  return 0;
}

/** `nextbest clv summary|fit|predict` */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'fit':
      return runFit(rest);
    case 'predict':
      return runPredict(rest);
    case 'summary':
      return runSummary(rest);
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`${sub === undefined ? 'Missing subcommand.' : `Unknown subcommand "${sub}".`}\n\n${USAGE}\n`);
      return 2;
  }
}
