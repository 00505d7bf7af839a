/**
 * Gradient-boosted trees against XGBoost 1.7 (Debian's /usr/bin/python3, nthread=1) on the
 * same data in the same run: training time and test AUC on the two shared reference splits
 * and on a seeded synthetic set of 500,000 rows x 40 features, plus single-row scoring
 * latency of a 200-tree depth-6 model. Our training time runs from a Float64 matrix to a
 * model (binning included); XGBoost's is `xgb.train` (its quantile sketch and binning
 * included, DMatrix construction excluded), as in ../shared/data/reference/generate_gbdt.py.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../src/core/csv.js';
import { mulberry32, normal } from '../src/core/random.js';
import { flatten, importXgboost, marginBatch, marginOfRow, train, type FeatureMatrix, type GbdtModel } from '../src/models/gbdt/index.js';
import { recursiveExplainer, treeExplainer, type Explainer } from '../src/models/gbdt/shap.js';
import { auc } from '../src/models/metrics/index.js';
import { encodeRows, inferEncoding } from '../src/models/tabular.js';
import type { Bench, BenchRow } from './harness.js';
import { PYTHON, shapAgainstXgboost, xgboostVersion } from './xgboostPeer.js';

const here = dirname(fileURLToPath(import.meta.url));
const PARAMS = { max_depth: 6, eta: 0.1, lambda: 1, min_child_weight: 1, max_bin: 256, base_score: 0.5 };

interface Split {
  name: string;
  train: FeatureMatrix;
  yTrain: Float64Array;
  test: FeatureMatrix;
  yTest: Float64Array;
  rounds: number;
  repeats: number;
}

function csvSplit(name: string, file: string, target: string, positive: string, repeats: number): Split {
  const t = parseCsv(readFileSync(join(here, '../test/fixtures/gbdt', file), 'utf8'));
  const s = t.header.indexOf('split');
  const y = t.header.indexOf(target);
  const enc = inferEncoding(t.header, t.rows, [target, 'split']);
  const part = (v: string) => t.rows.filter((r) => r[s] === v);
  const lab = (rows: string[][]) => Float64Array.from(rows, (r) => (r[y] === positive ? 1 : 0));
  return { name, train: encodeRows(enc, t.header, part('train')), yTrain: lab(part('train')), test: encodeRows(enc, t.header, part('test')), yTest: lab(part('test')), rounds: 200, repeats };
}

/** A seeded synthetic propensity set: 40 features (30 continuous, 10 small-integer), 3% missing, nonlinear logit. */
function synthetic(nRows: number, seed: number): { X: FeatureMatrix; y: Float64Array } {
  const nF = 40;
  const rng = mulberry32(seed);
  const values = new Float64Array(nRows * nF);
  const y = new Float64Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const o = r * nF;
    for (let f = 0; f < nF; f++) values[o + f] = f < 30 ? normal(rng) : Math.floor(rng.next() * (3 + f - 30));
    const x = (f: number) => values[o + f]!;
    const z = 0.8 * x(0) - 0.6 * x(1) + 0.5 * x(2) * x(3) + Math.sin(2 * x(4)) + 0.4 * (x(5) > 0.5 ? 1 : 0) + 0.3 * x(30) - 0.2 * x(31) + 0.1 * x(6) * x(32) + 0.7 * normal(rng) - 0.5;
    y[r] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    for (let f = 0; f < nF; f++) if (rng.next() < 0.03) values[o + f] = NaN;
  }
  return { X: { nRows, nFeatures: nF, values }, y };
}

function syntheticSplit(nRows: number, repeats: number, rounds: number): Split {
  const { X, y } = synthetic(nRows, 20261122);
  const nTrain = Math.floor(nRows * 0.8);
  const nF = X.nFeatures;
  return {
    name: `synthetic ${nRows.toLocaleString('en-GB')} x ${nF}`,
    train: { nRows: nTrain, nFeatures: nF, values: X.values.slice(0, nTrain * nF) },
    yTrain: y.slice(0, nTrain),
    test: { nRows: nRows - nTrain, nFeatures: nF, values: X.values.slice(nTrain * nF) },
    yTest: y.slice(nTrain),
    rounds,
    repeats,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function ours(s: Split): { seconds: number[]; cpu: number[]; auc: number } {
  const seconds: number[] = [];
  const cpu: number[] = [];
  let a = NaN;
  for (let i = 0; i < s.repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const { model } = train({ features: s.train, label: s.yTrain }, { ...PARAMS, rounds: s.rounds });
    seconds.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    a = auc(marginBatch(flatten(model), s.test), s.yTest);
  }
  return { seconds, cpu, auc: a };
}

const PY = String.raw`
import json, os, sys, time
os.environ["OMP_NUM_THREADS"] = "1"
import numpy as np, xgboost as xgb
from sklearn.metrics import roc_auc_score
d, nf, rounds, repeats, latency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
ld = lambda n: np.fromfile(os.path.join(d, n), dtype=np.float64)
Xtr, ytr, Xte, yte = ld("Xtr").reshape(-1, nf), ld("ytr"), ld("Xte").reshape(-1, nf), ld("yte")
params = {"tree_method": "hist", "max_depth": 6, "eta": 0.1, "objective": "binary:logistic", "nthread": 1, "seed": 0}
dtr = xgb.DMatrix(Xtr, label=ytr, missing=np.nan, nthread=1)
dte = xgb.DMatrix(Xte, missing=np.nan, nthread=1)
secs, cpu = [], []
for _ in range(repeats):
    t0, c0 = time.perf_counter(), time.process_time()
    bst = xgb.train(params, dtr, num_boost_round=rounds)
    secs.append(time.perf_counter() - t0); cpu.append(time.process_time() - c0)
out = {"xgboost": xgb.__version__, "seconds": secs, "cpu": cpu, "auc": float(roc_auc_score(yte, bst.predict(dte)))}
if latency:
    rows = [np.ascontiguousarray(Xte[i % Xte.shape[0]: i % Xte.shape[0] + 1]) for i in range(1000)]
    for r in rows[:50]: bst.inplace_predict(r, missing=np.nan)
    meds = []
    for _ in range(3):
        t = []
        for r in rows:
            t0 = time.perf_counter_ns(); bst.inplace_predict(r, missing=np.nan); t.append(time.perf_counter_ns() - t0)
        meds.append(float(np.median(t)) / 1000)
    out["latency_us"] = float(np.median(meds))
    # TreeSHAP in XGBoost's C++ (pred_contribs) on the first 500 test rows, one thread: the
    # model is saved so ours explains the very same trees.
    bst.save_model(os.path.join(d, "model.json"))
    dsh = xgb.DMatrix(np.ascontiguousarray(Xte[:500]), missing=np.nan, nthread=1)
    contribs = bst.predict(dsh, pred_contribs=True)
    loops = int(os.environ.get("SHAP_LOOPS", "5"))
    c0 = time.process_time()
    for _ in range(loops): bst.predict(dsh, pred_contribs=True)
    out["shap_us"] = (time.process_time() - c0) * 1e6 / (loops * dsh.num_row())
    np.ascontiguousarray(contribs, dtype=np.float64).tofile(os.path.join(d, "contribs"))
print(json.dumps(out))
`;


interface XgbRun {
  seconds: number[];
  cpu: number[];
  auc: number;
  latency_us?: number;
  /** With latency: CPU µs per row of pred_contribs, the saved model and its contributions on the first 500 test rows. */
  shap_us?: number;
  model?: unknown;
  contribs?: Float64Array;
}

function runXgboost(s: Split, latency: boolean, shapLoops = 5): XgbRun {
  const dir = mkdtempSync(join(tmpdir(), 'gbdt-bench-'));
  try {
    const w = (n: string, a: Float64Array) => writeFileSync(join(dir, n), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    w('Xtr', s.train.values);
    w('ytr', s.yTrain);
    w('Xte', s.test.values);
    w('yte', s.yTest);
    writeFileSync(join(dir, 'run.py'), PY);
    const out = execFileSync(PYTHON, [join(dir, 'run.py'), dir, String(s.train.nFeatures), String(s.rounds), String(s.repeats), latency ? '1' : '0'], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      env: { ...process.env, OMP_NUM_THREADS: '1', SHAP_LOOPS: String(shapLoops) },
    });
    const r = JSON.parse(out) as XgbRun;
    if (latency) {
      r.model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const b = readFileSync(join(dir, 'contribs'));
      r.contribs = new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
    }
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median per-call latency of scoring single rows, over 3 passes of 1000 calls (as the XGBoost figure). */
function ourLatencyUs(s: Split, model: GbdtModel): { median: number; batchMean: number } {
  const e = flatten(model);
  const nF = s.test.nFeatures;
  const rows = Array.from({ length: 1000 }, (_, i) => s.test.values.slice((i % s.test.nRows) * nF, ((i % s.test.nRows) + 1) * nF));
  let sink = 0;
  for (let k = 0; k < 20; k++) for (const r of rows) sink += marginOfRow(e, r);
  const meds: number[] = [];
  for (let pass = 0; pass < 3; pass++) {
    const t: number[] = [];
    for (const r of rows) {
      const t0 = process.hrtime.bigint();
      sink += marginOfRow(e, r);
      t.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    meds.push(median(t));
  }
  // Timer calls cost about as much as a score; the batch mean shows the cost without them.
  const t0 = performance.now();
  for (let k = 0; k < 20; k++) for (const r of rows) sink += marginOfRow(e, r);
  const batchMean = ((performance.now() - t0) * 1000) / 20000;
  if (sink === 42) process.stderr.write('');
  return { median: median(meds), batchMean };
}

/**
 * TreeSHAP cost per row: the recursion (Algorithm 2, what every explanation cost before the
 * tables) against the tables, each the mean over loops of the same test rows (after a
 * warm-up), plus the one-off cost of building the tables and the bytes they hold.
 */
function shapLatency(s: Split, model: GbdtModel, quick: boolean): { recursiveUs: number; tableUs: number; buildMs: number; bytes: number } {
  const nF = s.test.nFeatures;
  const rows = Array.from({ length: 500 }, (_, i) => s.test.values.slice((i % s.test.nRows) * nF, ((i % s.test.nRows) + 1) * nF));
  let sink = 0;
  const perRow = (ex: Explainer, loops: number) => {
    for (const r of rows) sink += ex.contributions(r)[0]!;
    const t0 = performance.now();
    for (let k = 0; k < loops; k++) for (const r of rows) sink += ex.contributions(r)[0]!;
    return ((performance.now() - t0) * 1000) / (loops * rows.length);
  };
  const recursiveUs = perRow(recursiveExplainer(model), 1);
  const t0 = performance.now();
  const tables = treeExplainer(model);
  const buildMs = performance.now() - t0;
  const tableUs = perRow(tables, quick ? 10 : 40);
  if (sink === 42) process.stderr.write('');
  return { recursiveUs, tableUs, buildMs, bytes: tables.bytes };
}

/** Our TreeSHAP tables on XGBoost's own trees: CPU µs per row and the largest difference from its contributions. */
function shapOnXgboostTrees(s: Split, modelJson: unknown, contribs: Float64Array, quick: boolean): { us: number; maxDiff: number } {
  return shapAgainstXgboost(treeExplainer(importXgboost(modelJson)), s.test.values, s.test.nFeatures, Math.min(500, s.test.nRows), contribs, quick ? 2 : 10);
}

const bench: Bench = {
  name: 'gbdt',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const version = xgboostVersion(['sklearn']);
    if (version) notes.push(`XGBoost ${version} via ${PYTHON}, nthread=1, tree_method=hist, same data and parameters, run in this process's bench (interleaved with ours).`);
    else notes.push(`XGBoost is not available (${PYTHON} -c "import xgboost" failed): our figures only.`);
    notes.push('Parameters: max_depth 6, eta 0.1, lambda 1, min_child_weight 1, max_bin 256, base_score 0.5, binary log loss; ours depth-wise like XGBoost.');
    const large = quick ? 50_000 : 500_000;
    const splits = [
      csvSplit('credit_data', 'credit_data_split.csv', 'Status', 'bad', 3),
      csvSplit('wa_churn', 'wa_churn_split.csv', 'churn', 'Yes', 3),
      syntheticSplit(large, 1, quick ? 20 : 100),
    ];
    // Warm the JIT on a small problem so the first timed case is not penalised.
    ours({ ...splits[0]!, rounds: 50, repeats: 2 });
    for (const s of splits) {
      process.stderr.write(`  ${s.name}: ${s.train.nRows} train rows, ${s.rounds} rounds ...\n`);
      const o = ours(s);
      const x = version ? runXgboost(s, false) : null;
      const t = median(o.seconds);
      const xt = x ? median(x.seconds) : undefined;
      const c = `${s.name} (${s.train.nRows.toLocaleString('en-GB')} train rows, ${s.train.nFeatures} features, ${s.rounds} rounds)`;
      rows.push({
        case: c,
        metric: `train time (median of ${s.repeats})`,
        value: t,
        unit: 's',
        goal: '<= 1.0x XGBoost',
        ...(xt !== undefined ? { peer: { name: 'XGBoost', value: xt }, ratio: t / xt } : {}),
      });
      const ct = median(o.cpu);
      const xc = x ? median(x.cpu) : undefined;
      rows.push({
        case: c,
        metric: `train CPU time (median of ${s.repeats})`,
        value: ct,
        unit: 's',
        goal: '<= 1.0x XGBoost',
        ...(xc !== undefined ? { peer: { name: 'XGBoost', value: xc }, ratio: ct / xc } : {}),
      });
      rows.push({
        case: c,
        metric: 'test AUC',
        value: o.auc,
        unit: '',
        goal: '>= XGBoost - 0.005',
        ...(x ? { peer: { name: 'XGBoost', value: x.auc }, ratio: o.auc / x.auc, note: 'ratio = ours / XGBoost AUC' } : {}),
      });
    }
    const credit = splits[0]!;
    const { model: creditModel } = train({ features: credit.train, label: credit.yTrain }, { ...PARAMS, rounds: 200 });
    const lat = ourLatencyUs(credit, creditModel);
    const xl = version ? runXgboost({ ...credit, repeats: 1 }, true, quick ? 2 : 10) : null;
    rows.push({
      case: 'single-row score, credit_data model (200 trees, depth 6)',
      metric: 'latency per row (median of 3 x 1000 calls)',
      value: lat.median,
      unit: 'us',
      goal: '<= 5 us',
      ...(xl?.latency_us !== undefined ? { peer: { name: 'XGBoost inplace_predict', value: xl.latency_us }, ratio: lat.median / xl.latency_us } : {}),
    });
    rows.push({ case: 'single-row score, credit_data model (200 trees, depth 6)', metric: 'mean per row in a loop of 20,000 calls', value: lat.batchMean, unit: 'us', goal: '<= 5 us' });
    const shap = shapLatency(credit, creditModel, quick);
    const shapCase = 'TreeSHAP per row, credit_data model (200 trees, depth 6)';
    rows.push({
      case: shapCase,
      metric: 'exact contributions per row, tables (mean over 500 test rows)',
      value: shap.tableUs,
      unit: 'us',
      goal: '<= 100 us',
      peer: { name: 'recursion (Algorithm 2, before)', value: shap.recursiveUs },
      ratio: shap.tableUs / shap.recursiveUs,
    });
    if (xl?.shap_us !== undefined && xl.model && xl.contribs) {
      const x = shapOnXgboostTrees(credit, xl.model, xl.contribs, quick);
      rows.push({
        case: 'TreeSHAP per row, XGBoost\'s own credit_data model (200 trees, depth 6), imported',
        metric: 'exact contributions per row, CPU time (500 test rows)',
        value: x.us,
        unit: 'us',
        peer: { name: 'XGBoost pred_contribs (C++, 1 thread)', value: xl.shap_us },
        ratio: x.us / xl.shap_us,
        note: `largest difference from XGBoost's contributions ${x.maxDiff.toExponential(1)}`,
      });
      notes.push(`TreeSHAP against XGBoost: XGBoost's model (trained above) is saved, imported (importXgboost) and explained by our tables on the same 500 test rows as its pred_contribs (CPU time on both sides, one thread); the contributions agree to ${x.maxDiff.toExponential(1)} (XGBoost sums in float32).`);
    }
    rows.push({ case: shapCase, metric: 'building the tables (once per model, on first explanation)', value: shap.buildMs, unit: 'ms' });
    rows.push({ case: shapCase, metric: 'table memory per model', value: shap.bytes / 2 ** 20, unit: 'MiB' });
    notes.push('CPU time (process.cpuUsage / time.process_time) is reported next to wall time because the bench machine is shared: wall time includes waiting for a core.');
    notes.push('Latency: ours is marginOfRow on a Float64Array row in-process (timed per call with process.hrtime, which adds ~0.1 us); XGBoost is Booster.inplace_predict on a 1 x P float64 numpy array from Python, per call, as in generate_gbdt.py.');
    notes.push('TreeSHAP: exact path-dependent contributions (equal to the recursion within 1e-9, test/models/gbdt/fastShap.test.ts) from the tables of src/models/gbdt/fastShap.ts; the peer is the recursion the tables replaced, on the same rows in the same run.');
    notes.push(`Synthetic set: seeded generator in bench/gbdt.bench.ts (30 normal + 10 small-integer features, 3% missing, nonlinear logit), first 80% rows train, rest test; ${large.toLocaleString('en-GB')} rows.`);
    return { rows, notes };
  },
};

export default bench;
