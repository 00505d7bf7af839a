/**
 * Decisioning speed and value. A 50-action catalogue (the bank catalogue's 22 actions
 * plus variants), a 200-tree GBDT propensity model served separately for every action,
 * in-process decisions/s on one core (the library with memory stores: no HTTP, no SQLite;
 * labelled so), and the engine against random/rules/oracle in the twin. Decisions over HTTP,
 * beside their Fastify floor, are in decide-http.bench.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../src/core/clock.js';
import { mulberry32 } from '../src/core/random.js';
import { compileCatalogue, consentsInForce, customerView, Decisioning, evaluate, explain, GbdtScorer, parseCatalogueYaml, priorOnly, select } from '../src/decisioning/index.js';
import { compareOnTwin } from '../src/simulation/enginePolicy.js';
import { flatten, importXgboost, marginOfRow, treeExplainer, type FlatEnsemble } from '../src/models/gbdt/index.js';
import { MemoryContactStore } from '../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../src/store/memory/decisionLog.js';
import { catalogue50, customerFor, FEATURES, MODEL_PARAMS, profileFor, root, trainingData, trainModel } from './decideFixtures.js';
import type { Bench, BenchRow } from './harness.js';
import { PYTHON, shapAgainstXgboost, shapCpuUs, xgboostVersion } from './xgboostPeer.js';

const bench: Bench = {
  name: 'decide',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const notes: string[] = [`Load average at start ${loadavg().map((x) => x.toFixed(1)).join(' / ')} on 2 cores (any other work on the machine makes these figures lower bounds).`];
    const cat = catalogue50();
    let t = performance.now();
    const model = trainModel(200);
    notes.push('TreeSHAP rows: each model\'s tables are built before timing (a one-off per model at startup or promotion, 35-130 ms for 200 trees; the engine builds them in the background), so the rows show the per-decision cost.');
    notes.push(`Propensity models: ${model.trees.length} trees, depth ≤ 6, ${FEATURES.length} features, trained in ${((performance.now() - t) / 1000).toFixed(1)} s on 8,000 synthetic rows, then copied into separate model objects (9 per family, or 50 per action) so no scoring shares memory it would not share in production.`);
    // Two ways to serve propensities: one model per family (9 models; the actions of a family
    // share it and it scores once per decision), and a separate model object per action (50
    // models; nothing shared: the worst case for memory and time).
    const families = [...new Set(cat.actions.map((a) => a.family))];
    const perFamily = new GbdtScorer({ families: Object.fromEntries(families.map((f) => [f, { version: `bench-${f}@1`, model: structuredClone(model) }])) });
    const perAction = new GbdtScorer({ actions: Object.fromEntries(cat.actions.map((a) => [a.id, { version: `bench-${a.id}@1`, model: structuredClone(model) }])) });

    const rng = mulberry32(5);
    const nCustomers = quick ? 2000 : 10_000;
    const customers = Array.from({ length: nCustomers }, (_, i) => customerFor(i, rng));
    const profiles = customers.map(() => profileFor(rng));
    const clock = new ManualClock('2026-03-02T10:00:00Z');
    const NN = quick ? 3000 : 20_000;
    const runFull = async (label: string, scorer: GbdtScorer | undefined, shap: boolean, goal?: string) => {
      // TreeSHAP runs are ~10× slower: fewer decisions keep the run short.
      const N = shap ? Math.round(NN / 6) : NN;
      const d = new Decisioning(cat, {
        clock,
        customers: { get: async (id) => customers[Number(id.slice(1))] },
        consentEvents: async () => [],
        profiles: { profile: async (id) => ({ values: profiles[Number(id.slice(1))]!, version: 'bench' }) },
        contacts: new MemoryContactStore(),
        log: new MemoryDecisionLog(),
        ...(scorer ? { scorer } : {}),
        shap,
      });
      if (shap) for (const build of scorer?.explainerBuilds() ?? []) build(); // TreeSHAP tables are a one-off per model, not per decision
      for (let i = 0; i < 1000; i++) await d.decide({ customerId: `c${i % nCustomers}`, channel: 'in_app', n: 3 }); // warm-up
      let scored = 0;
      let chosen = 0;
      let choosing = 0;
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < N; i++) {
        if (i % nCustomers === 0) clock.advance(8 * 86_400_000); // a new week: caps reopen
        const r = await d.decide({ customerId: `c${i % nCustomers}`, channel: 'in_app', n: 3 });
        scored += r.candidates.filter((c) => c.propensitySource === 'model').length;
        chosen += r.chosen.length;
        if (r.chosen.length > 0) choosing++;
      }
      const rate = N / ((performance.now() - start) / 1000);
      const cpu = process.cpuUsage(cpu0);
      rows.push({ case: `in-process (library, memory stores, no HTTP), 1 core, 50 actions: ${label}`, metric: 'decisions/s (inputs, policies, scores, caps, explanation, log)', value: rate, unit: 'decisions/s', ...(goal ? { goal } : {}), note: `${(1e6 / rate).toFixed(0)} µs each; ${(scored / N).toFixed(1)} actions scored, ${(chosen / N).toFixed(2)} chosen per decision` });
      // CPU time is what the process spent, whatever else the machine runs (GC threads included): the figure to compare across runs on a shared VM.
      rows.push({ case: `in-process (library, memory stores, no HTTP), 1 core, 50 actions: ${label}`, metric: 'CPU per decision (process CPU time, all threads)', value: (cpu.user + cpu.system) / N, unit: 'µs/decision' });
      rows.push({ case: `in-process (library, memory stores, no HTTP), 1 core, 50 actions: ${label}`, metric: 'share of decisions that chose an action', value: choosing / N, unit: 'share' });
    };
    await runFull('priors only (no model)', undefined, false);
    await runFull('9 family models × 200 trees, no SHAP', perFamily, false, '≥ 20,000');
    await runFull('9 family models × 200 trees, TreeSHAP for the winner', perFamily, true, '≥ 20,000');
    await runFull('50 per-action models × 200 trees, no SHAP', perAction, false, '≥ 20,000');
    await runFull('50 per-action models × 200 trees, TreeSHAP for the winner', perAction, true, '≥ 20,000');

    // Where the time goes: the pure core on prepared inputs, with the consents a decision would
    // find in force (with marketing alone every personalised offer was excluded by consent, and a
    // third as many actions reached scoring as in a decision: the floor was 3-4 times too low).
    const compiled = compileCatalogue(cat);
    const inputs = customers.slice(0, 2000).map((c, i) => ({ customer: customerView(c, clock.now()), profile: profiles[i]!, profileVersion: null, scores: {}, consents: consentsInForce(c, [], 'in_app', clock.now()), history: { contacts: [], declines: [] }, context: {}, sessionId: null }));
    const M = quick ? 3000 : 20_000;
    for (const [label, scorer] of [['policies only (priors)', undefined], ['policies + 9 family models', perFamily], ['policies + 50 per-action models', perAction]] as const) {
      const start = performance.now();
      for (let i = 0; i < M; i++) evaluate(compiled, inputs[i % inputs.length]!, { now: clock.now(), channel: 'in_app', levers: cat.levers, scorer: scorer ?? priorOnly });
      const rate = M / ((performance.now() - start) / 1000);
      rows.push({ case: 'pure core (evaluate) on prepared inputs', metric: label, value: 1e6 / rate, unit: 'µs/decision' });
    }
    const ex = inputs.map((inp) => evaluate(compiled, inp, { now: clock.now(), channel: 'in_app', levers: cat.levers, scorer: perFamily }));
    const withWinner = ex.map((ev, k) => ({ ev, k, sel: select(compiled, ev, inputs[k]!, { now: clock.now(), channel: 'in_app', n: 3, full: new Set() }) })).filter((x) => x.sel.chosen.length > 0);
    const K = Math.min(quick ? 200 : 1000, withWinner.length);
    for (const build of perFamily.explainerBuilds()) build();
    t = performance.now();
    for (let i = 0; i < K; i++) {
      const x = withWinner[i % withWinner.length]!;
      explain(compiled, x.ev, inputs[x.k]!, x.sel.chosen[0], perFamily);
    }
    rows.push({ case: 'pure core on prepared inputs', metric: 'explanation with TreeSHAP (200 trees)', value: ((performance.now() - t) * 1000) / K, unit: 'µs/decision' });

    // The floor for the models' share of a decision: the same packed trees and the same walk in C -O2.
    const floor = treeWalkFloor(model, profiles.slice(0, 2000), families.length, quick ? 5 : 40);
    rows.push({ case: `tree scoring per decision: ${families.length} models × ${model.trees.length} trees, one row each (2,000 rows)`, metric: 'CPU per decision, the scorer\'s packed walk', value: floor.oursNs / 1000, unit: 'µs/decision', ...(floor.cNs === null ? {} : { peer: { name: 'the same walk in C -O2', value: floor.cNs / 1000 }, ratio: floor.oursNs / floor.cNs }), note: floor.note });
    notes.push(`Tree scoring floor: bench/floors/treewalk.c walks the same packed arrays as src/models/gbdt/predict.ts (threshold ranks, eight trees side by side) with ${families.length} separate copies of the model, compiled here with cc -O2; both sides timed on CPU time over the same 2,000 rows, and their margins checked equal. ${floor.note}`);

    const shapFloor = treeShapFloor(model, profiles.slice(0, 2000), quick ? 1 : 3);
    if (shapFloor) {
      rows.push({ case: `TreeSHAP per decision (the winner's model, ${model.trees.length} trees, depth ≤ 6, ${FEATURES.length} features; 2,000 rows)`, metric: 'CPU per row, on XGBoost\'s own model of the same data and parameters', value: shapFloor.oursUs, unit: 'µs/decision', peer: { name: 'XGBoost pred_contribs (C++, 1 thread)', value: shapFloor.xgbUs }, ratio: shapFloor.oursUs / shapFloor.xgbUs, note: `ours on our own model: ${shapFloor.ownUs.toFixed(0)} µs` });
      rows.push({ case: `TreeSHAP per decision (the winner's model, ${model.trees.length} trees, depth ≤ 6, ${FEATURES.length} features; 2,000 rows)`, metric: 'CPU per row, on our own model (as in the decisions above)', value: shapFloor.ownUs, unit: 'µs/decision' });
      notes.push(`TreeSHAP floor: XGBoost ${shapFloor.version} (/usr/bin/python3, nthread 1, hist) trains on the propensity models' data with the same parameters (200 rounds, depth 6, eta 0.05); its model is imported (importXgboost) and our tables explain the same 2,000 rows as its pred_contribs, CPU time on both sides; contributions agree to ${shapFloor.maxDiff.toExponential(1)}.`);
    } else notes.push('TreeSHAP floor skipped: /usr/bin/python3 with xgboost is not installed (apt-get install python3-xgboost).');

    // The twin: engine vs random, rules and oracle.
    const twinCustomers = quick ? 500 : 2000;
    const days = quick ? 30 : 90;
    const base = parseCatalogueYaml(readFileSync(join(root, 'catalogue/default.yaml'), 'utf8'));
    t = performance.now();
    const cmp = await compareOnTwin(base, { customers: twinCustomers, name: 'bench' }, { days, seed: 1, trainDays: days });
    const oracle = cmp.reports.find((r) => r.policy === 'oracle')!;
    const random = cmp.reports.find((r) => r.policy === 'random')!;
    for (const r of cmp.reports) {
      const label = `twin ${twinCustomers} customers × ${days} days: ${r.policy}`;
      rows.push({ case: label, metric: 'accepted-offer value (oracle yardstick)', value: r.acceptedValueGBP, unit: 'GBP', ...(r.policy === 'engine' ? { goal: '≥ 90% of oracle, ≥ 2× random', peer: { name: 'oracle', value: oracle.acceptedValueGBP }, ratio: r.acceptedValueGBP / oracle.acceptedValueGBP } : {}) });
      rows.push({ case: label, metric: 'acceptance rate', value: r.acceptanceRate, unit: 'share', note: `${r.accepted} of ${r.offersShown} offers` });
      rows.push({ case: label, metric: 'offer revenue', value: r.offerRevenueGBP, unit: 'GBP' });
      rows.push({ case: label, metric: 'churn rate', value: r.churnRate, unit: 'share' });
      rows.push({ case: label, metric: 'harm (unsuitable offers accepted)', value: r.harm, unit: 'offers', note: `${r.consentBreaches} consent breaches` });
      rows.push({ case: label, metric: 'offers per customer', value: r.offersShown / r.customers, unit: 'offers' });
      rows.push({ case: label, metric: 'accepted value per offer', value: r.valuePerOfferGBP, unit: 'GBP' });
      rows.push({ case: label, metric: 'net value (first take-ups − contact and harm costs)', value: r.netValueGBP, unit: 'GBP', ...(r.policy === 'engine' ? { peer: { name: 'oracle', value: oracle.netValueGBP }, ratio: r.netValueGBP / oracle.netValueGBP } : {}) });
    }
    const engine = cmp.reports.find((r) => r.policy === 'engine')!;
    notes.push(`Twin: engine/oracle accepted value ${(engine.acceptedValueGBP / oracle.acceptedValueGBP).toFixed(2)}, engine/random ${(engine.acceptedValueGBP / random.acceptedValueGBP).toFixed(2)}. The engine's family models were trained on a ${days}-day exploration run with seed 1001 (${cmp.training.samples} offers, ${cmp.training.accepted} accepted); the comparison runs on seed 1. Took ${((performance.now() - t) / 1000).toFixed(0)} s.`);
    return { rows, notes };
  },
};

export default bench;

/**
 * Scores `rows` with `copies` separate copies of the model, in this process (marginOfRow, as
 * the scorer does) and in C (bench/floors/treewalk.c, if the machine has a C compiler), and
 * returns the CPU nanoseconds per row for all copies on each side.
 */
function treeWalkFloor(model: Parameters<typeof flatten>[0], profiles: Record<string, number | null>[], copies: number, repeats: number): { oursNs: number; cNs: number | null; note: string } {
  const flats: FlatEnsemble[] = Array.from({ length: copies }, () => flatten(structuredClone(model)));
  const P = FEATURES.length;
  const X = new Float64Array(profiles.length * P);
  profiles.forEach((p, i) => FEATURES.forEach((f, j) => (X[i * P + j] = p[f] ?? Number.NaN)));
  let check = 0;
  for (let r = 0; r < profiles.length; r++) check += marginOfRow(flats[0]!, X, r * P);
  let sink = 0;
  for (let r = 0; r < profiles.length; r++) for (const e of flats) sink += marginOfRow(e, X, r * P); // warm-up
  const c0 = process.cpuUsage();
  for (let k = 0; k < repeats; k++) for (let r = 0; r < profiles.length; r++) for (const e of flats) sink += marginOfRow(e, X, r * P);
  const c = process.cpuUsage(c0);
  const oursNs = ((c.user + c.system) * 1000) / (repeats * profiles.length);
  if (!Number.isFinite(sink)) throw new Error('tree walk floor: non-finite margins');
  const e = flats[0]!;
  if (!e.packed) return { oursNs, cNs: null, note: 'the model is not in packed form: no C floor' };
  const dir = mkdtempSync(join(tmpdir(), 'nb-treewalk-'));
  try {
    const exe = join(dir, 'treewalk');
    const cc = spawnSync('cc', ['-O2', '-o', exe, join(root, 'bench/floors/treewalk.c')], { encoding: 'utf8' });
    if (cc.error || cc.status !== 0) return { oursNs, cNs: null, note: `no C floor: cc -O2 failed (${cc.error?.message ?? cc.stderr.trim().split('\n')[0]})` };
    const header = new Int32Array([e.roots.length, e.value.length, e.nFeatures, e.splitValues.length, profiles.length]);
    const file = join(dir, 'model.bin');
    const parts = [header, new Float64Array([e.baseMargin]), e.roots, e.depth, e.packed, e.value, e.splitValues, e.splitStart, X];
    writeFileSync(file, Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
    const run = spawnSync(exe, [file, String(copies), String(repeats)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`tree walk floor: ${run.stderr}`);
    const [ns, sum] = run.stdout.trim().split(' ').map(Number) as [number, number];
    if (Math.abs(sum - check) > 1e-9 * Math.max(1, Math.abs(check))) throw new Error(`tree walk floor: C margins sum to ${sum}, ours to ${check}`);
    return { oursNs, cNs: ns, note: `C and ours agree on the margins (sum over the rows ${check.toFixed(6)}); ${repeats} passes.` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const XGB_SHAP_PY = String.raw`
import json, os, sys, time
os.environ["OMP_NUM_THREADS"] = "1"
import numpy as np, xgboost as xgb
d, nf, rounds, loops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ld = lambda n: np.fromfile(os.path.join(d, n), dtype=np.float64)
X, y, R = ld("X").reshape(-1, nf), ld("y"), ld("R").reshape(-1, nf)
params = {"tree_method": "hist", "max_depth": int(sys.argv[5]), "eta": float(sys.argv[6]), "objective": "binary:logistic", "nthread": 1, "seed": 0}
bst = xgb.train(params, xgb.DMatrix(X, label=y, missing=np.nan, nthread=1), num_boost_round=rounds)
bst.save_model(os.path.join(d, "model.json"))
dr = xgb.DMatrix(R, missing=np.nan, nthread=1)
contribs = bst.predict(dr, pred_contribs=True)
c0 = time.process_time()
for _ in range(loops): bst.predict(dr, pred_contribs=True)
us = (time.process_time() - c0) * 1e6 / (loops * dr.num_row())
np.ascontiguousarray(contribs, dtype=np.float64).tofile(os.path.join(d, "contribs"))
print(json.dumps({"us": us, "version": xgb.__version__}))
`;

/**
 * TreeSHAP's floor: XGBoost's C++ pred_contribs on its own model of the propensity data (same
 * parameters), against our tables on that very model, on the same rows; plus our tables on
 * our own model. Null without /usr/bin/python3 and xgboost.
 */
function treeShapFloor(own: Parameters<typeof flatten>[0], profiles: Record<string, number | null>[], loops: number): { oursUs: number; xgbUs: number; ownUs: number; maxDiff: number; version: string } | null {
  if (!xgboostVersion()) return null;
  const P = FEATURES.length;
  const R = new Float64Array(profiles.length * P);
  profiles.forEach((p, i) => FEATURES.forEach((f, j) => (R[i * P + j] = p[f] ?? Number.NaN)));
  const data = trainingData();
  const dir = mkdtempSync(join(tmpdir(), 'nb-shapfloor-'));
  try {
    const w = (n: string, a: Float64Array) => writeFileSync(join(dir, n), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    w('X', data.values);
    w('y', data.label);
    w('R', R);
    writeFileSync(join(dir, 'run.py'), XGB_SHAP_PY);
    const out = JSON.parse(execFileSync(PYTHON, [join(dir, 'run.py'), dir, String(P), String(own.trees.length), String(loops), String(MODEL_PARAMS.maxDepth), String(MODEL_PARAMS.learningRate)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } })) as { us: number; version: string };
    const b = readFileSync(join(dir, 'contribs'));
    const contribs = new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
    const theirs = shapAgainstXgboost(treeExplainer(importXgboost(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')))), R, P, profiles.length, contribs, loops);
    return { oursUs: theirs.us, xgbUs: out.us, ownUs: shapCpuUs(treeExplainer(own), R, P, profiles.length, loops), maxDiff: theirs.maxDiff, version: out.version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
