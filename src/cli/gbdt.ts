import { readTable } from './csvColumns.js';
import { readFileSync, writeFileSync } from 'node:fs';
import type { CsvTable } from '../core/csv.js';
import { ValidationError } from '../core/errors.js';
import {
  featureImportance,
  flatten,
  importXgboost,
  loadModel,
  marginBatch,
  marginOfRow,
  objectiveFor,
  saveModel,
  train,
  treeExplainer,
  type GbdtModel,
} from '../models/gbdt/index.js';
import { auc, logLoss, poissonDeviance, rmse } from '../models/metrics/index.js';
import { encodeRows, featureNamesOf, inferEncoding, isDecimal } from '../models/tabular.js';
import { parseCommand, required, numberOption, UsageError } from './args.js';
import { ProgressBar } from './progress.js';

const dataOptions = {
  data: { type: 'string' },
  target: { type: 'string' },
  positive: { type: 'string' },
  'split-column': { type: 'string' },
} as const;
const dataHelp = {
  data: 'CSV file with a header row (an empty field is a missing value)',
  target: 'Target column',
  positive: 'Value of the target that counts as 1 (binary log loss); omit for a numeric target',
  'split-column': 'Column naming each row\'s part (train / valid / test)',
};

const trainSpec = {
  usage: 'nextbest gbdt train --data FILE.csv --target COL [--positive VALUE] [--split-column split] [--params JSON] --out model.json',
  summary:
    'Trains gradient-boosted trees on a CSV. Text columns are one-hot encoded (levels sorted, "column=level", none dropped; a missing category is all zeros); an empty numeric field is missing and gets a learned default direction. With --split-column, trains on the rows whose split is "train" and, with early_stopping_rounds, stops on the "valid" rows. Prints a JSON summary; writes the model (nextbest-gbdt JSON, format version 1).',
  options: { ...dataOptions, params: { type: 'string' }, out: { type: 'string' }, 'train-value': { type: 'string', default: 'train' }, 'valid-value': { type: 'string', default: 'valid' } },
  help: {
    ...dataHelp,
    params: 'Parameters as JSON or @file.json; our names or XGBoost\'s (eta, max_depth, lambda, alpha, min_child_weight, subsample, colsample_bytree, gamma, max_bin, monotone_constraints {"col": 1}, early_stopping_rounds, seed, rounds)',
    out: 'Where to write the model JSON',
    'train-value': 'Split value of the training rows',
    'valid-value': 'Split value of the early-stopping rows',
  },
} as const;

const evalSpec = {
  usage: 'nextbest gbdt eval --model model.json --data FILE.csv --target COL [--positive VALUE] [--split-column split] [--split-value test]',
  summary: 'Scores a CSV with a model (ours, or an XGBoost save_model JSON with --xgboost) and prints JSON: rows, auc, logloss (binary) or rmse (regression).',
  options: { ...dataOptions, model: { type: 'string' }, 'split-value': { type: 'string', default: 'test' }, xgboost: { type: 'boolean' } },
  help: { ...dataHelp, model: 'Model JSON written by `gbdt train`', 'split-value': 'Score only rows with this split value', xgboost: 'The model is an XGBoost save_model JSON (features in CSV column order)' },
} as const;

const explainSpec = {
  usage: 'nextbest gbdt explain --model model.json [--data FILE.csv --rows 0,5,9] [--split-column split --split-value test] [--top 10]',
  summary: 'Explains a model: gain/cover feature importance, and for the chosen data rows (0-based, after any split filter) the exact TreeSHAP contribution of each feature to the margin (contributions + bias = margin). Prints JSON.',
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    rows: { type: 'string', default: '0' },
    top: { type: 'string', default: '10' },
    'split-column': { type: 'string' },
    'split-value': { type: 'string' },
    target: { type: 'string' },
    xgboost: { type: 'boolean' },
  },
  help: {
    model: 'Model JSON written by `gbdt train`',
    target: 'Target column to leave out (needed only for --xgboost models, which carry no encoding)',
    data: 'CSV of customers to explain',
    rows: 'Comma-separated 0-based row numbers, or a range like 0-9',
    top: 'How many features to list per row and in the importance table',
    'split-column': 'Column naming each row\'s part',
    'split-value': 'Explain only rows with this split value',
    xgboost: 'The model is an XGBoost save_model JSON',
  },
} as const;

const USAGE = `Usage: nextbest gbdt train|eval|explain [options]\n\n  train    Train gradient-boosted trees on a CSV\n  eval     Score a CSV and print AUC / log loss\n  explain  Feature importance and per-customer TreeSHAP\n\nRun \`nextbest gbdt train --help\` for the options of one subcommand.`;

/** `nextbest gbdt ...`. */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'train':
      return trainCommand(rest);
    case 'eval':
      return evalCommand(rest);
    case 'explain':
      return explainCommand(rest);
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      throw new UsageError(sub ? `unknown gbdt subcommand "${sub}"\n\n${USAGE}` : USAGE);
  }
}


function column(t: CsvTable, name: string, flag: string): number {
  const c = t.header.indexOf(name);
  if (c < 0) throw new UsageError(`--${flag}: column "${name}" is not in the CSV header (${t.header.join(', ')})`);
  return c;
}

function rowsWhere(t: CsvTable, splitColumn: string | undefined, value: string | undefined): string[][] {
  if (!splitColumn || value === undefined) return t.rows;
  const c = column(t, splitColumn, 'split-column');
  return t.rows.filter((r) => r[c] === value);
}

/** Labels of rows: 1/0 against --positive, or numbers for a regression target. */
function labels(t: CsvTable, rows: string[][], target: string, positive: string | undefined): Float64Array {
  const c = column(t, target, 'target');
  return Float64Array.from(rows, (r, i) => {
    const v = r[c]!;
    if (v === '') throw new ValidationError([{ field: target, rule: 'required', message: `row ${i + 1} of the selection has no target value` }]);
    if (positive !== undefined) return v === positive ? 1 : 0;
    if (!isDecimal(v)) throw new ValidationError([{ field: target, rule: 'numeric', message: `"${v}" is not a number; pass --positive VALUE for a binary target` }]);
    return Number(v);
  });
}

function parseParams(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  let raw = text;
  if (text.startsWith('@')) raw = readFileSync(text.slice(1), 'utf8');
  try {
    const p = JSON.parse(raw) as unknown;
    if (!p || typeof p !== 'object' || Array.isArray(p)) throw new Error('not a JSON object');
    return p as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--params: ${(e as Error).message}`);
  }
}

async function trainCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, trainSpec);
  if (!parsed) return 0;
  const v = parsed.values;
  const table = readTable(required(v, 'data'), 'data');
  const target = required(v, 'target');
  const out = required(v, 'out');
  column(table, target, 'target');
  const splitColumn = v['split-column'];
  const params = parseParams(v.params);
  if (v.positive === undefined && params.objective === undefined) params.objective = 'reg:squarederror';
  if (v.positive !== undefined && params.objective === undefined) params.objective = 'binary:logistic';
  // Column kinds and category levels come from the whole file (the vocabulary, not the labels).
  const encoding = inferEncoding(table.header, table.rows, [target, ...(splitColumn ? [splitColumn] : [])]);
  const trainRows = rowsWhere(table, splitColumn, v['train-value']);
  if (trainRows.length === 0) throw new UsageError(`--split-column: no rows have ${splitColumn}=${v['train-value']}`);
  const X = encodeRows(encoding, table.header, trainRows);
  const y = labels(table, trainRows, target, v.positive);
  const validRows = splitColumn ? rowsWhere(table, splitColumn, v['valid-value']) : [];
  const validation = validRows.length > 0 ? { features: encodeRows(encoding, table.header, validRows), label: labels(table, validRows, target, v.positive) } : undefined;
  const bar = new ProgressBar('gbdt train', Number(params.rounds ?? params.num_boost_round ?? params.n_estimators ?? 100), 'rounds');
  const t0 = performance.now();
  const { model, validationLoss } = train(
    { features: X, label: y, featureNames: X.featureNames, ...(validation ? { validation } : {}), onRound: (r, loss) => bar.update(r + 1, loss === null ? '' : `valid ${loss.toFixed(5)}`) },
    params,
  );
  const seconds = (performance.now() - t0) / 1000;
  bar.finish(model.trees.length);
  model.encoding = encoding;
  writeFileSync(out, saveModel(model));
  const summary = {
    model: out,
    objective: model.objective,
    trainRows: trainRows.length,
    validRows: validRows.length,
    features: X.nFeatures,
    trees: model.trees.length,
    trainSeconds: Number(seconds.toFixed(3)),
    ...(validationLoss.length > 0 ? { bestValidationLoss: Math.min(...validationLoss) } : {}),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}

function readModel(path: string, xgboost: boolean | undefined): GbdtModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--model: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return xgboost ? importXgboost(JSON.parse(text)) : loadModel(text);
}

/** Encodes rows as the model was trained (XGBoost models: CSV columns one-hot encoded the same way). */
function encodeForModel(model: GbdtModel, table: CsvTable, rows: string[][], exclude: string[]) {
  const encoding = model.encoding ?? inferEncoding(table.header, table.rows, exclude);
  const names = featureNamesOf(encoding);
  if (names.length !== model.featureNames.length) {
    throw new ValidationError([{ field: 'data', rule: 'features', message: `the CSV gives ${names.length} features, the model expects ${model.featureNames.length}` }]);
  }
  const X = encodeRows(encoding, table.header, rows);
  for (const [col, n] of Object.entries(X.unseenLevels)) process.stderr.write(`warning: ${n} rows have a ${col} level the model never saw (encoded as all zeros)\n`);
  return X;
}

async function evalCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, evalSpec);
  if (!parsed) return 0;
  const v = parsed.values;
  const model = readModel(required(v, 'model'), v.xgboost);
  const table = readTable(required(v, 'data'), 'data');
  const target = required(v, 'target');
  const splitColumn = v['split-column'];
  const rows = rowsWhere(table, splitColumn, v['split-value']);
  if (rows.length === 0) throw new UsageError(`--split-value: no rows have ${splitColumn}=${v['split-value']}`);
  const X = encodeForModel(model, table, rows, [target, ...(splitColumn ? [splitColumn] : [])]);
  const y = labels(table, rows, target, v.positive);
  const margins = marginBatch(flatten(model), X);
  const transform = objectiveFor(model.objective).transform;
  const pred = margins.map(transform);
  const mean = pred.reduce((s, p) => s + p, 0) / pred.length;
  const result =
    model.objective === 'binary:logistic'
      ? { rows: rows.length, positives: y.reduce((s, t) => s + t, 0), auc: auc(pred, y), logloss: logLoss(pred, y), meanPrediction: mean }
      : model.objective === 'count:poisson'
        ? { rows: rows.length, rmse: rmse(pred, y), poissonDeviance: poissonDeviance(pred, y), meanPrediction: mean }
        : { rows: rows.length, rmse: rmse(pred, y), meanPrediction: mean };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

function parseRows(spec: string, n: number): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--rows: "${part}" is not a row number or range like 0-9`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b; i++) {
      if (i >= n) throw new UsageError(`--rows: row ${i} is past the last row (${n - 1})`);
      out.push(i);
    }
  }
  return out;
}

async function explainCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, explainSpec);
  if (!parsed) return 0;
  const v = parsed.values;
  const model = readModel(required(v, 'model'), v.xgboost);
  const top = numberOption(v, 'top', 10);
  const importance = featureImportance(model).slice(0, top);
  const result: Record<string, unknown> = { trees: model.trees.length, features: model.featureNames.length, importance };
  if (v.data) {
    const table = readTable(v.data, 'data');
    const splitColumn = v['split-column'];
    const rows = rowsWhere(table, splitColumn, v['split-value']);
    const picked = parseRows(v.rows ?? '0', rows.length);
    const X = encodeForModel(model, table, picked.map((i) => rows[i]!), [...(splitColumn ? [splitColumn] : []), ...(v.target ? [v.target] : [])]);
    const explainer = treeExplainer(model);
    const e = flatten(model);
    const transform = objectiveFor(model.objective).transform;
    result.bias = explainer.bias;
    result.rows = picked.map((row, k) => {
      const phi = explainer.contributions(X.values, k * X.nFeatures);
      const margin = marginOfRow(e, X.values, k * X.nFeatures);
      const contributions = model.featureNames
        .map((feature, f) => ({ feature, value: X.values[k * X.nFeatures + f]!, contribution: phi[f]! }))
        .filter((c) => c.contribution !== 0)
        .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
        .slice(0, top)
        .map((c) => ({ ...c, value: Number.isNaN(c.value) ? null : c.value }));
      return { row, margin, prediction: transform(margin), contributions };
    });
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}
