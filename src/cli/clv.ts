import { readFileSync, writeFileSync } from 'node:fs';
import type { CsvTable } from '../core/csv.js';
import {
  dayNumber,
  fitBgNbd,
  fitGammaGamma,
  predictCustomerValue,
  summarizeTransactions,
  type BgNbdParams,
  type GammaGammaParams,
  type RfmSummary,
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
} as const;
const columnHelp = {
  data: 'Per-customer summary CSV (one row per customer; e.g. from `nextbest clv summary`)',
  id: 'Customer id column (default: data line number)',
  frequency: 'Repeat purchases (whole number)',
  recency: 'Time from first to last purchase',
  T: 'Time from first purchase to the end of the observation period (same unit as recency)',
  monetary: 'Mean value of the repeat purchases (enables the Gamma-Gamma spend model)',
};

const fitSpec = {
  usage: 'nextbest clv fit --data FILE [--frequency COL --recency COL --T COL] [--monetary COL] [--out params.json]',
  summary:
    'Fits the BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005) and, with --monetary, the Gamma-Gamma spend model (Fader & Hardie 2013) by maximum likelihood, and prints JSON: parameters, standard errors (observed information), log-likelihood.',
  options: { ...columnOptions, out: { type: 'string' } },
  help: { ...columnHelp, out: 'Also write the parameters to this JSON file (input of `clv predict --params`)' },
} as const;

const predictSpec = {
  usage: 'nextbest clv predict --data FILE --params params.json [--horizon 12] [--period 4.345] [--discount 0.01] [--format jsonl|csv]',
  summary:
    "Prints, per customer: P(alive), purchases expected over the horizon, expected spend per purchase and the discounted lifetime value (lifetimes' customer_lifetime_value: horizon in whole periods, each period's expected purchases x expected spend / (1 + discount)^period).",
  options: {
    ...columnOptions,
    params: { type: 'string' },
    horizon: { type: 'string', default: '12' },
    period: { type: 'string', default: '1' },
    discount: { type: 'string', default: '0' },
    format: { type: 'string', default: 'jsonl' },
  },
  help: {
    ...columnHelp,
    params: 'JSON written by `clv fit --out` (or its printed output)',
    horizon: 'Number of whole periods ahead',
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

async function runFit(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, fitSpec);
  if (!parsed) return 0;
  const v = parsed.values;
  const { summary } = readSummary(v, false);
  process.stderr.write(`clv fit: ${summary.frequency.length} customers\n`);
  const bg = fitBgNbd(summary);
  if (!bg.converged) process.stderr.write(`clv fit: warning: BG/NBD did not converge in ${bg.iterations} iterations\n`);
  const out: Record<string, unknown> = { model: 'bg/nbd', columns: { frequency: v.frequency, recency: v.recency, T: v.T, monetary: v.monetary ?? null }, bgnbd: bg };
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
  let file: { bgnbd?: { params?: unknown }; gammaGamma?: { params?: unknown } };
  try {
    file = JSON.parse(readFileSync(paramsPath, 'utf8'));
  } catch (e) {
    throw new UsageError(`--params: cannot read ${paramsPath} as JSON (${(e as Error).message})`);
  }
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
