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
import { constantFeatures, encodeRows, featureNamesOf, inferEncoding, isDecimal, isMissingToken, withoutFeatures } from '../models/tabular.js';
import { parseCommand, required, numberOption, UsageError } from './args.js';
import { ProgressBar } from './progress.js';

const dataOptions = {
  data: { type: 'string' },
  target: { type: 'string' },
  positive: { type: 'string' },
  'split-column': { type: 'string' },
  'all-rows': { type: 'boolean' },
} as const;
const dataHelp = {
  data: 'CSV file with a header row (an empty field, NA or NaN is a missing value)',
  target: 'Target column',
  positive: 'Value of the target that counts as 1 (binary log loss); omit for a numeric target',
  'split-column': 'Column naming each row\'s part (train / valid / test)',
  'all-rows': 'Use every row although the CSV has a train/test "split" column (the column is still not a feature)',
};

const trainSpec = {
  usage: 'nextbest gbdt train --data FILE.csv --target COL [--positive VALUE] [--split-column split | --all-rows] [--params JSON] --out model.json',
  summary:
    'Trains gradient-boosted trees on a CSV. Text columns are one-hot encoded (levels sorted, "column=level", none dropped; a missing category is all zeros); an empty, NA or NaN numeric field is missing and gets a learned default direction. Features constant on the training rows are dropped and listed. With --split-column, trains on the rows whose split is "train" and, with early_stopping_rounds, stops on the "valid" rows; a CSV with a train/test "split" column needs --split-column or --all-rows. Prints a JSON summary; writes the model (nextbest-gbdt JSON, format version 1).',
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
  usage: 'nextbest gbdt eval --model model.json --data FILE.csv --target COL [--positive VALUE] [--split-column split [--split-value test] | --all-rows]',
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
  if (positive !== undefined) checkPositive(t, c, target, positive);
  return Float64Array.from(rows, (r, i) => {
    const v = r[c]!;
    if (isMissingToken(v)) throw new ValidationError([{ field: target, rule: 'required', message: `row ${i + 1} of the selection has no target value ("${v}")` }]);
    if (positive !== undefined) return v === positive ? 1 : 0;
    if (!isDecimal(v)) throw new ValidationError([{ field: target, rule: 'numeric', message: `"${v}" is not a number; pass --positive VALUE for a binary target` }]);
    return Number(v);
  });
}

/** Distinct non-missing values of a column, sorted, for messages. */
function valuesSeen(rows: string[][], c: number): string[] {
  const seen = new Set<string>();
  for (const r of rows) if (!isMissingToken(r[c]!)) seen.add(r[c]!);
  return [...seen].sort();
}

function listed(values: string[]): string {
  return values.length > 20 ? `${values.slice(0, 20).join(', ')}, ... (${values.length} in all)` : values.join(', ');
}

/** A misspelt --positive would silently make every row a 0. */
function checkPositive(t: CsvTable, c: number, target: string, positive: string): void {
  const seen = valuesSeen(t.rows, c);
  if (!seen.includes(positive)) throw new UsageError(`--positive: "${positive}" is not a value of column "${target}" (values seen: ${listed(seen)})`);
}

/** Binary labels need both classes among the rows trained or scored on. */
function checkTwoClasses(y: Float64Array, t: CsvTable, rows: string[][], target: string, positive: string, where: string): void {
  let pos = 0;
  for (const v of y) pos += v;
  if (pos === 0 || pos === y.length) {
    const seen = valuesSeen(rows, column(t, target, 'target'));
    throw new UsageError(
      `--target: column "${target}" has one class in the ${y.length} ${where} rows (values seen: ${listed(seen)}); --positive "${positive}" needs rows with it and rows without it`,
    );
  }
}

const SPLIT_VALUES = new Set(['train', 'valid', 'validation', 'test']);

/**
 * A column named "split" whose values are train/test labels, when --split-column was not
 * given: training on it would train on the test rows with the split as a feature, and
 * evaluating would score the training rows, both silently. That is never what was meant, so
 * it is an error (a warning scrolls past in a script that exits 0); --all-rows says it is.
 */
function forgottenSplit(t: CsvTable, splitColumn: string | undefined, allRows: boolean | undefined): string | null {
  if (splitColumn !== undefined) return null;
  const c = t.header.findIndex((h) => h.toLowerCase() === 'split');
  if (c < 0) return null;
  const seen = valuesSeen(t.rows, c);
  if (seen.length < 2 || !seen.includes('train') || !seen.every((v) => SPLIT_VALUES.has(v))) return null;
  const name = t.header[c]!;
  if (allRows) return name;
  throw new UsageError(
    `--split-column: the CSV has a column "${name}" with values ${seen.join(', ')}; pass --split-column ${name} to train on the train rows and score the test rows, or --all-rows to use every row`,
  );
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
  const ignoredSplit = forgottenSplit(table, splitColumn, v['all-rows']);
  if (v.positive === undefined && params.objective === undefined) params.objective = 'reg:squarederror';
  if (v.positive !== undefined && params.objective === undefined) params.objective = 'binary:logistic';
  // Column kinds and category levels come from the whole file (the vocabulary, not the labels).
  const notFeatures = [target, ...(splitColumn ? [splitColumn] : []), ...(ignoredSplit ? [ignoredSplit] : [])];
  let encoding = inferEncoding(table.header, table.rows, notFeatures);
  const trainRows = rowsWhere(table, splitColumn, v['train-value']);
  if (trainRows.length === 0) throw new UsageError(`--split-column: no rows have ${splitColumn}=${v['train-value']}`);
  const y = labels(table, trainRows, target, v.positive);
  if (v.positive !== undefined) checkTwoClasses(y, table, trainRows, target, v.positive, 'training');
  let X = encodeRows(encoding, table.header, trainRows);
  // A feature with one value on every training row can never split: drop it and say so.
  const constant = constantFeatures(X);
  if (constant.length > 0) {
    process.stderr.write(`warning: ${constant.length} feature(s) have one value on every training row and are dropped: ${listed(constant)}\n`);
    encoding = withoutFeatures(encoding, constant);
    if (encoding.length === 0) throw new UsageError(`--data: every feature is constant on the ${trainRows.length} training rows`);
    X = encodeRows(encoding, table.header, trainRows);
  }
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
    ...(constant.length > 0 ? { droppedConstantFeatures: constant } : {}),
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
  const ignoredSplit = forgottenSplit(table, splitColumn, v['all-rows']);
  const rows = rowsWhere(table, splitColumn, v['split-value']);
  if (rows.length === 0) throw new UsageError(`--split-value: no rows have ${splitColumn}=${v['split-value']}`);
  const X = encodeForModel(model, table, rows, [target, ...(splitColumn ? [splitColumn] : []), ...(ignoredSplit ? [ignoredSplit] : [])]);
  const y = labels(table, rows, target, v.positive);
  if (v.positive !== undefined && model.objective === 'binary:logistic') checkTwoClasses(y, table, rows, target, v.positive, 'scored');
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
