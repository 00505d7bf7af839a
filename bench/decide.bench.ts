/**
 * Decisioning speed and value. A 50-action catalogue (the bank catalogue's 22 actions
 * plus variants), a 200-tree GBDT propensity model served separately for every action,
 * in-process decisions/s on one core, HTTP p50/p99 at 2,000 requests/s against a server
 * in a child process, and the engine against random/rules/oracle in the twin.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ManualClock } from '../src/core/clock.js';
import { mulberry32 } from '../src/core/random.js';
import { compileCatalogue, customerView, Decisioning, evaluate, explain, GbdtScorer, parseCatalogueYaml, priorOnly, select } from '../src/decisioning/index.js';
import { compareOnTwin } from '../src/simulation/enginePolicy.js';
import { MemoryContactStore } from '../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../src/store/memory/decisionLog.js';
import { exited, startServer } from '../test/helpers/server.js';
import { catalogue50, customerFor, FEATURES, prepareBankDir, profileFor, root, trainModel } from './decideFixtures.js';
import { percentile, type Bench, type BenchRow } from './harness.js';

/** CPU seconds (user + system, all threads) a process has used, from /proc; NaN where there is none. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return Number.NaN;
  }
}

/** Open-loop load from a separate process (bench/loadgen.ts), with the server's CPU time per request. */
async function openLoop(url: URL, bodiesFile: string, rate: number, seconds: number, serverPid?: number): Promise<{ lat: number[]; offered: number; errors: number; serverCpuUs: number }> {
  const cpu0 = cpuSeconds(serverPid);
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/loadgen.ts'), url.origin, '/v1/decisions', String(rate), String(seconds), bodiesFile], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`load generator exited ${code}`);
  const r = JSON.parse(out) as { lat: number[]; errors: number; offered: number };
  return { ...r, serverCpuUs: ((cpuSeconds(serverPid) - cpu0) * 1e6) / Math.round(rate * seconds) };
}

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
      const start = performance.now();
      for (let i = 0; i < N; i++) {
        if (i % nCustomers === 0) clock.advance(8 * 86_400_000); // a new week: caps reopen
        const r = await d.decide({ customerId: `c${i % nCustomers}`, channel: 'in_app', n: 3 });
        scored += r.candidates.filter((c) => c.propensitySource === 'model').length;
        chosen += r.chosen.length;
      }
      const rate = N / ((performance.now() - start) / 1000);
      rows.push({ case: `in-process, 1 core, 50 actions: ${label}`, metric: 'decisions/s (inputs, policies, scores, caps, explanation, log)', value: rate, unit: 'decisions/s', ...(goal ? { goal } : {}), note: `${(1e6 / rate).toFixed(0)} µs each; ${(scored / N).toFixed(1)} actions scored, ${(chosen / N).toFixed(2)} chosen per decision` });
    };
    await runFull('priors only (no model)', undefined, false);
    await runFull('9 family models × 200 trees, no SHAP', perFamily, false, '≥ 20,000');
    await runFull('9 family models × 200 trees, TreeSHAP for the winner', perFamily, true, '≥ 20,000');
    await runFull('50 per-action models × 200 trees, no SHAP', perAction, false, '≥ 20,000');
    await runFull('50 per-action models × 200 trees, TreeSHAP for the winner', perAction, true, '≥ 20,000');

    // Where the time goes: the pure core on prepared inputs.
    const compiled = compileCatalogue(cat);
    const inputs = customers.slice(0, 2000).map((c, i) => ({ customer: customerView(c, clock.now()), profile: profiles[i]!, profileVersion: null, scores: {}, consents: { marketing: c.consents.marketing === true }, history: { contacts: [], declines: [] }, context: {}, sessionId: null }));
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

    // HTTP, server in a child process (it shares the 2 cores with this client), deciding as a
    // bank would: real profiles from ingested history, 9 family champions of 200 trees, SQLite.
    const dir = mkdtempSync(join(tmpdir(), 'nb-decide-bench-'));
    const catFile = join(dir, 'catalogue50.yaml');
    writeFileSync(catFile, stringify(cat));
    const configFile = join(dir, 'nextbest.config.yaml');
    writeFileSync(configFile, stringify({ decisioning: { catalogue: catFile } }));
    const bankCustomers = quick ? 300 : 2000;
    const bankDays = quick ? 30 : 60;
    t = performance.now();
    const bank = await prepareBankDir(join(dir, 'data'), { customers: bankCustomers, days: bankDays, model, catalogueFile: catFile });
    notes.push(`HTTP runs: the server decides from data as a bank's would: ${bankCustomers.toLocaleString('en-GB')} twin customers with ${bank.events.toLocaleString('en-GB')} events of history ingested (profiles from the feature store, history ending today), the 50-action catalogue, and ${bank.families.length} family propensity champions of 200 trees in the model registry; SQLite store (contact counters in decisions.db, the log in decision-log.db written by a worker thread, WAL, synchronous=NORMAL). Each response is the decision summary (the default; the whole record is logged). Prepared in ${((performance.now() - t) / 1000).toFixed(0)} s. The load generator (bench/loadgen.ts) is an open-loop Node client in a process of its own: it and the server share the 2 cores.`);
    const server = await startServer(join(dir, 'data'), { NEXTBEST_LOG_LEVEL: 'warn' }, ['--config', configFile]);
    const url = new URL(server.url);
    const bodiesFile = join(dir, 'bodies.json');
    writeFileSync(bodiesFile, JSON.stringify(bank.customerIds.map((id) => JSON.stringify({ customerId: id, channel: 'in_app', n: 3 }))));
    await openLoop(url, bodiesFile, 500, quick ? 2 : 10); // warm-up: the JIT needs a few thousand requests
    const seconds = quick ? 2 : 8;
    for (const rate of [500, 1000, 2000]) {
      const res = await openLoop(url, bodiesFile, rate, seconds, server.child.pid);
      const label = `HTTP POST /v1/decisions at ${rate.toLocaleString('en-GB')} req/s offered (50 actions, 9 × 200-tree champions, SQLite)`;
      rows.push({ case: label, metric: 'p50 latency', value: percentile(res.lat, 50), unit: 'ms' });
      rows.push({ case: label, metric: 'p99 latency', value: percentile(res.lat, 99), unit: 'ms', ...(rate === 2000 ? { goal: '≤ 2 ms' } : {}) });
      rows.push({ case: label, metric: 'achieved rate', value: res.lat.length / seconds, unit: 'req/s', note: `${res.lat.length} ok, ${res.errors} errors; offered ${res.offered.toFixed(0)} req/s; server CPU ${res.serverCpuUs.toFixed(0)} µs/request` });
    }
    server.child.kill('SIGTERM');
    await exited(server.child);

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
