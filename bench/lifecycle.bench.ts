/**
 * The model lifecycle on the digital twin, against the twin's hidden truth:
 *  - default scenario (scaled in customers), the reference random policy in the loop:
 *    propensity models ranked against the true acceptance probability (Spearman, pooled
 *    over all shown offers and per family), churn models against the true daily hazard;
 *  - drift scenario: a champion trained before the drift day, the drift check after it,
 *    and a retrained candidate against the stale champion on post-drift offers.
 * Training time is wall clock on a shared machine.
 */
import { fileURLToPath } from 'node:url';
import { BANK_PACK, FeatureSet } from '../src/features/index.js';
import { harrellConcordance } from '../src/models/survival/concordance.js';
import { spearman } from '../src/models/metrics/calibration.js';
import { loadScenario, OFFER_CHANNELS, randomPolicy, runClosedLoop, type NamedPolicy, type Offer } from '../src/simulation/index.js';
import { MemoryEventLog } from '../src/store/memory/eventLog.js';
import { MemoryModelRegistry } from '../src/store/memory/modelRegistry.js';
import { buildDataset } from '../src/training/dataset.js';
import { CHURN } from '../src/training/definitions.js';
import { labelRows } from '../src/training/labels.js';
import { compareOnRows, ModelLifecycle, recentRows, scoreRows } from '../src/training/index.js';
import { coxRow, type CoxArtefact } from '../src/training/families/churn.js';
import type { Bench, BenchRow } from './harness.js';

const DAY = 86_400_000;
const scenarioPath = (name: string) => fileURLToPath(new URL(`../scenarios/${name}.yaml`, import.meta.url));

interface Recorded {
  log: MemoryEventLog;
  /** customer|YYYY-MM-DD|family → [truth at the shown channel, mean over channels] */
  offers: Map<string, [number, number]>;
  /** customer|YYYY-MM-DD → true daily churn hazard that morning */
  hazards: Map<string, number>;
  start: number;
  days: number;
  seconds: number;
  events: number;
}

async function simulate(name: string, customers: number, days: number): Promise<Recorded> {
  const scenario = loadScenario(scenarioPath(name));
  const log = new MemoryEventLog();
  const offers = new Map<string, [number, number]>();
  const hazards = new Map<string, number>();
  const policy: NamedPolicy = {
    name: 'random+truth',
    seesTruth: true,
    decide(view, ctx) {
      if (ctx.truth) hazards.set(`${view.customerId}|${ctx.date}`, ctx.truth.churnHazard);
      const o = randomPolicy.decide(view, ctx) as Offer | null;
      if (o && ctx.truth) {
        const mean = OFFER_CHANNELS.reduce((s, c) => s + ctx.truth!.acceptProbability(o.family, c), 0) / OFFER_CHANNELS.length;
        offers.set(`${view.customerId}|${ctx.date}|${o.family}`, [ctx.truth.acceptProbability(o.family, o.channel), mean]);
      }
      return o;
    },
  };
  const t0 = Date.now();
  let events = 0;
  await runClosedLoop({
    scenario: { ...scenario, customers, days },
    policy,
    onDay: async (evs) => {
      events += evs.length;
      await log.appendMany(evs.map((e) => ({ event: e, body: '', t: Date.parse(e.occurredAt) })), 0);
    },
  });
  return { log, offers, hazards, start: Date.parse(`${scenario.startDate}T00:00:00Z`), days, seconds: (Date.now() - t0) / 1000, events };
}

const testFromOf = (metrics: Record<string, unknown>) => Date.parse(metrics.testFrom as string);

async function defaultScenario(customers: number, days: number, rows: BenchRow[], notes: string[]): Promise<void> {
  const sim = await simulate('default', customers, days);
  const label = `default scenario, ${customers} customers × ${days} days`;
  rows.push({ case: label, metric: 'twin events', value: sim.events, unit: 'events', note: `simulated in ${sim.seconds.toFixed(0)} s` });
  const features = FeatureSet.compile(BANK_PACK);
  const end = sim.start + days * DAY;
  const lc = new ModelLifecycle(new MemoryModelRegistry(), { log: sim.log, features: () => features, now: () => end });
  const t0 = Date.now();
  const run = await lc.train({ models: ['propensity', 'churn', 'prepayment', 'segments', 'clv', 'activity'], seed: 1 });
  rows.push({ case: label, metric: 'train all jobs (wall)', value: (Date.now() - t0) / 1000, unit: 's', note: `${run.trained.length} models, skipped: ${run.skipped.map((s) => s.name).join(', ') || 'none'}` });
  const pooled: [number, number, number][] = [];
  for (const t of run.trained.filter((x) => x.name.startsWith('propensity_'))) {
    const rec = (await lc.get(t.id))!;
    const family = t.name.slice('propensity_'.length);
    const ds = (await recentRows(sim.log, features, t.name, testFromOf(rec.metrics), end))!;
    const p = scoreRows(rec, ds);
    const pairs: [number, number, number][] = [];
    ds.rows.forEach((r, i) => {
      const truth = sim.offers.get(`${r.customerId}|${new Date(r.asOf + 1).toISOString().slice(0, 10)}|${family}`);
      if (truth) pairs.push([p[i]!, truth[0], truth[1]]);
    });
    pooled.push(...pairs);
    if (pairs.length >= 30) {
      rows.push({ case: label, metric: `${family}: Spearman vs true propensity (per customer, channel-averaged)`, value: spearman(pairs.map((x) => x[0]), pairs.map((x) => x[2])), unit: 'rho', note: `${pairs.length} test offers, AUC ${t.metrics.auc}` });
    }
  }
  rows.push({ case: label, metric: 'propensity: Spearman vs true propensity, all test offers (shown channel)', value: spearman(pooled.map((x) => x[0]), pooled.map((x) => x[1])), unit: 'rho', goal: '≥ 0.6', note: `${pooled.length} offers over ${run.trained.filter((x) => x.name.startsWith('propensity_')).length} families` });
  rows.push({ case: label, metric: 'propensity: Spearman vs true propensity, all test offers (channel-averaged)', value: spearman(pooled.map((x) => x[0]), pooled.map((x) => x[2])), unit: 'rho', goal: '≥ 0.6' });

  const cox = run.trained.find((t) => t.name === 'churn_cox');
  if (cox) {
    const rec = (await lc.get(cox.id))!;
    const a = rec.artefact as CoxArtefact;
    const cut = testFromOf(rec.metrics);
    const lrows = (await labelRows(sim.log, CHURN, { from: cut, to: end, observedUntil: end })).filter((r) => sim.hazards.has(`${r.customerId}|${new Date(r.asOf).toISOString().slice(0, 10)}`));
    const ds = await buildDataset(sim.log, features, lrows);
    const W = ds.names.length;
    const lp = ds.rows.map((_, i) => coxRow(a, (n) => ds.values[i * W + ds.names.indexOf(n)]!).reduce((s, x, j) => s + (x - a.means[j]!) * a.beta[j]!, 0));
    const hz = ds.rows.map((r) => sim.hazards.get(`${r.customerId}|${new Date(r.asOf).toISOString().slice(0, 10)}`)!);
    const time = ds.rows.map((r) => r.time);
    const event = ds.rows.map((r) => r.event);
    rows.push({ case: label, metric: 'churn Cox: concordance with observed churn (test slice)', value: harrellConcordance(time, event, lp).cIndex, unit: 'C', note: `${ds.rows.length} snapshot rows, ${event.reduce((s, e) => s + e, 0)} churn events` });
    rows.push({ case: label, metric: 'churn Cox: concordance of the TRUE hazard with observed churn (ceiling)', value: harrellConcordance(time, event, hz).cIndex, unit: 'C' });
    rows.push({ case: label, metric: 'churn Cox: Spearman of risk score vs true daily hazard', value: spearman(lp, hz), unit: 'rho' });
    const churn90 = run.trained.find((t) => t.name === 'churn_90d');
    if (churn90) rows.push({ case: label, metric: 'churn 90-day GBDT: AUC (test slice)', value: churn90.metrics.auc as number, unit: 'AUC', note: `lift top decile ${churn90.metrics.liftTopDecile}` });
  }
  notes.push(`Default scenario with the reference random policy in the loop (${customers} customers; the scenario file has 10,000: scaled for the shared machine). Propensity Spearman is over every shown offer in the held-out (latest) time slice: one GBDT per family, features = the bank pack only.`);
}

async function driftScenario(customers: number, rows: BenchRow[], notes: string[]): Promise<void> {
  const scenario = loadScenario(scenarioPath('drift'));
  const days = scenario.days;
  const driftDay = scenario.drift[0]!.day;
  const sim = await simulate('drift', customers, days);
  const label = `drift scenario, ${customers} customers × ${days} days, drift on day ${driftDay}`;
  const features = FeatureSet.compile(BANK_PACK);
  const end = sim.start + days * DAY;
  const lc = new ModelLifecycle(new MemoryModelRegistry(), { log: sim.log, features: () => features, now: () => end });
  const champ = await lc.train({ models: ['propensity', 'churn'], to: sim.start + (driftDay - 5) * DAY, seed: 1, promote: true });
  const before = await lc.checkDrift({ days: 30 }).then(() => undefined);
  void before;
  const reports = await lc.checkDrift({ days: 60 });
  const drifted = reports.filter((r) => r.drifted);
  rows.push({ case: label, metric: 'champions flagged by the drift check (last 60 days)', value: drifted.length, unit: 'models', note: `of ${reports.length} checked: ${drifted.map((r) => r.modelId).join(', ')}` });
  for (const r of reports) rows.push({ case: label, metric: `${r.modelId}: score PSI`, value: r.score.psi, unit: 'PSI', note: r.reasons.slice(0, 2).join('; ') || 'no drift' });
  const retrain = await lc.train({ models: ['propensity', 'churn'], from: end - 100 * DAY, to: end, seed: 1 });
  let wins = 0;
  let compared = 0;
  const pooled = { rows: 0, stale: 0, fresh: 0 };
  for (const t of retrain.trained.filter((x) => x.name.startsWith('propensity_') || x.name === 'churn_90d')) {
    const champion = await lc.registry.champion(t.name);
    if (!champion) continue;
    const candidate = (await lc.get(t.id))!;
    const ds = (await recentRows(sim.log, features, t.name, testFromOf(candidate.metrics), end))!;
    const cmp = compareOnRows([champion, candidate], ds);
    if (cmp.positives < 5 || cmp.positives === cmp.rows) continue;
    compared++;
    const [stale, fresh] = cmp.models;
    if (fresh!.logLoss < stale!.logLoss) wins++;
    pooled.rows += cmp.rows;
    pooled.stale += stale!.logLoss * cmp.rows;
    pooled.fresh += fresh!.logLoss * cmp.rows;
    rows.push({ case: label, metric: `${t.name}: log loss on post-drift offers, candidate vs stale champion`, value: fresh!.logLoss, unit: 'log loss', peer: { name: `champion ${champion.id}`, value: stale!.logLoss }, ratio: fresh!.logLoss / stale!.logLoss, note: `AUC ${fresh!.auc.toFixed(3)} vs ${stale!.auc.toFixed(3)}; ${cmp.rows} rows, ${cmp.positives} positive` });
  }
  if (pooled.rows > 0) rows.push({ case: label, metric: 'log loss over all compared post-drift rows, candidates vs stale champions', value: pooled.fresh / pooled.rows, unit: 'log loss', peer: { name: 'stale champions', value: pooled.stale / pooled.rows }, ratio: pooled.fresh / pooled.stale, note: `${pooled.rows} rows` });
  rows.push({ case: label, metric: 'retrained candidates with lower log loss than the stale champion', value: wins, unit: 'models', note: `of ${compared} compared (models with ≥ 5 positives on the candidate's test slice)` });
  notes.push(`Drift: champions trained on days up to ${driftDay - 5}; the check compares the last 60 days with each champion's training window; candidates are retrained on the last 100 days and both are scored on the candidate's held-out slice. Champions trained: ${champ.trained.map((t) => t.id).join(', ')}.`);
}

const bench: Bench = {
  name: 'lifecycle',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    await defaultScenario(quick ? 600 : 3000, quick ? 200 : 365, rows, notes);
    await driftScenario(quick ? 500 : 2000, rows, notes);
    return { rows, notes };
  },
};
export default bench;
