import { readTable } from './csvColumns.js';
import { writeFileSync } from 'node:fs';
import type { CsvTable } from '../core/csv.js';
import { fitCox } from '../models/survival/cox.js';
import { riskAtHorizons, DEFAULT_HORIZONS } from '../models/survival/coxPredict.js';
import { buildSurvivalDesign, eventIndicator, isMissing } from '../models/survival/design.js';
import { kaplanMeier } from '../models/survival/kaplanMeier.js';
import { parseCommand, required, numberOption, UsageError } from './args.js';

const coxSpec = {
  usage:
    'nextbest survival cox --data FILE --time COL --event COL [--event-value V] --covariates A,B,C [--factors A] [--strata COL] [--ties efron|breslow] [--baseline] [--predictions FILE --horizons 30,90,365 --id COL]',
  summary:
    "Fits a Cox proportional hazards model to a CSV (as R's coxph: Newton-Raphson, Efron or Breslow ties, text columns as treatment contrasts with the first sorted level as reference, rows with a missing value dropped) and prints JSON: coefficients, SEs, exp(coef), z, p, log-likelihoods, LR/Wald/score tests, concordance, n and events.",
  options: {
    data: { type: 'string' },
    time: { type: 'string' },
    event: { type: 'string' },
    'event-value': { type: 'string' },
    covariates: { type: 'string' },
    factors: { type: 'string' },
    strata: { type: 'string' },
    ties: { type: 'string', default: 'efron' },
    baseline: { type: 'boolean' },
    predictions: { type: 'string' },
    horizons: { type: 'string', default: DEFAULT_HORIZONS.join(',') },
    id: { type: 'string' },
  },
  help: {
    data: 'CSV file with a header row (empty field or NA = missing)',
    time: 'Follow-up time column (e.g. days as a customer)',
    event: 'Event column (1/0, true/false, or R-style 1/2 with 2 = event, unless --event-value)',
    'event-value': 'Value of the event column that means the event happened (e.g. Yes)',
    covariates: 'Comma-separated covariate columns',
    factors: 'Comma-separated numeric columns to treat as categorical',
    strata: 'Column whose levels get separate baseline hazards (shared coefficients)',
    ties: 'efron or breslow',
    baseline: 'Also print the baseline cumulative hazard (at the reference means)',
    predictions: 'Write per-row relative risk and survival/risk at the horizons to this CSV',
    horizons: 'Comma-separated horizons, in the unit of --time',
    id: 'Column to label rows in --predictions (default: row number)',
  },
} as const;

const kmSpec = {
  usage: 'nextbest survival km --data FILE --time COL --event COL [--event-value V] [--group COL] [--conf-level 0.95]',
  summary:
    "Kaplan-Meier survival curve from a CSV (as R's survfit): survival, Greenwood SE of the cumulative hazard and of S(t), log-scale limits at each distinct time, median with its confidence interval, restricted mean. Prints JSON.",
  options: {
    data: { type: 'string' },
    time: { type: 'string' },
    event: { type: 'string' },
    'event-value': { type: 'string' },
    group: { type: 'string' },
    'conf-level': { type: 'string', default: '0.95' },
  },
  help: {
    data: 'CSV file with a header row (empty field or NA = missing)',
    time: 'Follow-up time column',
    event: 'Event column (1/0, true/false, or R-style 1/2 with 2 = event, unless --event-value)',
    'event-value': 'Value of the event column that means the event happened',
    group: 'Fit one curve per level of this column',
    'conf-level': 'Confidence level of the limits and the median interval',
  },
} as const;

const USAGE = `Usage: nextbest survival km|cox [options]\n\n  km   Kaplan-Meier curve, median and its CI\n  cox  Cox proportional hazards model\n\nRun \`nextbest survival km --help\` or \`nextbest survival cox --help\` for the options.`;

/** Reads a CSV file into a table, or a UsageError naming the flag. */
export function readCsvFile(path: string, flag = 'data'): CsvTable {
  return readTable(path, flag);
}

function list(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Indented JSON with arrays of plain values kept on one line, so tables stay readable. */
export function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s+([^[\]{}]*?)\s+\]/g, (_, inner: string) => `[${inner.replace(/,\s+/g, ', ')}]`);
}

function print(value: unknown): void {
  process.stdout.write(`${compactJson(value)}\n`);
}

async function runCox(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, coxSpec);
  if (!parsed) return 0;
  const v = parsed.values;
  const ties = v.ties;
  if (ties !== 'efron' && ties !== 'breslow') throw new UsageError(`--ties must be efron or breslow, got ${ties}`);
  const covariates = list(required(v, 'covariates'));
  const horizons = list(v.horizons).map((h) => {
    const n = Number(h);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--horizons must be numbers >= 0, got ${h}`);
    return n;
  });
  const columns = {
    time: required(v, 'time'),
    event: required(v, 'event'),
    covariates,
    factors: list(v.factors),
    ...(v['event-value'] !== undefined ? { eventValue: v['event-value'] } : {}),
    ...(v.strata !== undefined ? { strata: v.strata } : {}),
  };
  const table = readCsvFile(required(v, 'data'));
  const design = buildSurvivalDesign(table, columns);
  process.stderr.write(`survival cox: ${design.rowsRead} rows read, ${design.rowsDropped} dropped for missing values, ${design.names.length} design columns\n`);
  const model = fitCox(design.data, { ties, names: design.names });
  if (!model.converged) process.stderr.write(`survival cox: warning: did not converge in ${model.iterations} iterations\n`);
  const { baseline, beta: _beta, ...rest } = model;
  const strataLabel = (code: number) => design.strataLevels?.[code] ?? null;
  print({
    model: 'coxph',
    call: columns,
    rowsRead: design.rowsRead,
    rowsDropped: design.rowsDropped,
    factors: design.factors,
    strata: design.strataLevels,
    ...rest,
    ...(v.baseline ? { baseline: baseline.map((b) => ({ stratum: strataLabel(b.stratum), time: b.time, cumHazard: b.cumHazard })) } : {}),
  });
  if (v.predictions) {
    const idCol = v.id !== undefined ? table.header.indexOf(v.id) : -1;
    if (v.id !== undefined && idCol < 0) throw new UsageError(`--id: column "${v.id}" is not in the header`);
    const lines = [['id', ...(design.strataLevels ? ['stratum'] : []), 'relative_risk', ...horizons.flatMap((h) => [`survival_${h}`, `risk_${h}`])].join(',')];
    const p = design.data.p;
    const allX = Float64Array.from(design.data.x);
    design.rowIndex.forEach((row, k) => {
      const x = Array.from(allX.subarray(k * p, (k + 1) * p));
      const stratum = design.data.strata ? design.data.strata[k]! : 0;
      const risks = riskAtHorizons(model, x, horizons, stratum);
      const rr = x.reduce((s, xv, j) => s + (xv - model.means[j]!) * model.beta[j]!, 0);
      const id = idCol >= 0 ? table.rows[row]![idCol]! : String(row + 1);
      lines.push([id, ...(design.strataLevels ? [strataLabel(stratum)] : []), Math.exp(rr), ...risks.flatMap((r) => [r.survival, r.risk])].join(','));
    });
    writeFileSync(v.predictions, `${lines.join('\n')}\n`);
    process.stderr.write(`survival cox: wrote ${design.rowIndex.length} predictions to ${v.predictions}\n`);
  }
  return 0;
}

async function runKm(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, kmSpec);
  if (!parsed) return 0;
  const v = parsed.values;
  const confLevel = numberOption(v, 'conf-level', 0.95);
  if (!(confLevel > 0 && confLevel < 1)) throw new UsageError(`--conf-level must be between 0 and 1, got ${confLevel}`);
  const timeCol = required(v, 'time');
  const eventCol = required(v, 'event');
  const table = readCsvFile(required(v, 'data'));
  const index = (name: string, flag: string) => {
    const i = table.header.indexOf(name);
    if (i < 0) throw new UsageError(`--${flag}: column "${name}" is not in the header (${table.header.join(', ')})`);
    return i;
  };
  const ti = index(timeCol, 'time');
  const ei = index(eventCol, 'event');
  const gi = v.group !== undefined ? index(v.group, 'group') : -1;
  const rows = table.rows.filter((r) => !isMissing(r[ti]) && !isMissing(r[ei]) && (gi < 0 || !isMissing(r[gi])));
  const groups = gi < 0 ? [null] : [...new Set(rows.map((r) => r[gi]!))].sort(new Intl.Collator('en').compare);
  process.stderr.write(`survival km: ${table.rows.length} rows read, ${table.rows.length - rows.length} dropped for missing values\n`);
  // R's default for several curves: restrict every mean to the overall last time ("common").
  let lastTime = 0;
  for (const r of rows) lastTime = Math.max(lastTime, Number(r[ti]));
  const curves = groups.map((g) => {
    const mine = g === null ? rows : rows.filter((r) => r[gi] === g);
    const time = mine.map((r, k) => {
      const t = Number(r[ti]);
      if (!Number.isFinite(t) || t < 0) throw new UsageError(`--time: "${r[ti]}" in data row ${k + 1} is not a number >= 0`);
      return t;
    });
    const km = kaplanMeier(time, eventIndicator(mine.map((r) => r[ei]!), eventCol, v['event-value']), { confLevel, restrictedMeanUpTo: lastTime });
    // One line per time, as survfit's summary prints it.
    const columns = ['time', 'n_risk', 'n_event', 'n_censor', 'survival', 'std_err_cumhaz', 'std_err_survival', 'lower', 'upper'];
    const table = km.time.map((t, i) => [t, km.nRisk[i], km.nEvent[i], km.nCensor[i], km.survival[i], km.stdErrCumHazard[i], km.stdErrSurvival[i], km.lower[i], km.upper[i]]);
    return {
      group: g,
      n: km.n,
      events: km.events,
      median: km.median,
      medianLower: km.medianLower,
      medianUpper: km.medianUpper,
      confLevel: km.confLevel,
      restrictedMean: km.restrictedMean,
      restrictedMeanSe: km.restrictedMeanSe,
      columns,
      table,
    };
  });
  print({ model: 'kaplan-meier', call: { time: timeCol, event: eventCol, eventValue: v['event-value'] ?? null, group: v.group ?? null }, curves });
  return 0;
}

/** `nextbest survival km|cox` */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'cox') return runCox(rest);
  if (sub === 'km') return runKm(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown subcommand "${sub}"\n\n${USAGE}`);
}
