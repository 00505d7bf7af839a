/**
 * `nextbest federated demo`: three banks simulated by the digital twin, each with its own
 * customer mix and its own store, train one propensity model together over HTTP on this
 * machine. Prints the test AUC of the federated model next to central training on the
 * pooled rows (the model nobody may build) and each bank alone, then shows the model
 * registered in every bank and serving a decision in one. bench/federated.ts runs the same.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createEngine, loadConfig, type Engine } from '../index.js';
import { iso, ManualClock, MS_PER_DAY } from '../core/clock.js';
import { ValidationError } from '../core/errors.js';
import { httpLink, Participant, propensityData, registerInBank, serveParticipant, trainFederated, type FederatedResult, type LocalData } from '../federated/index.js';
import { auc } from '../models/metrics/index.js';
import { predictBatch, train, type FeatureMatrix, type GbdtModel } from '../models/gbdt/index.js';
import { eligibleFamilies, generateDemoBank, type ActionFamily, type NamedPolicy, type ScenarioInput } from '../simulation/index.js';

/** The three banks: the same product range, different customers. */
export const DEMO_BANKS: { name: string; note: string; personaMix: NonNullable<ScenarioInput['personaMix']> }[] = [
  { name: 'bank-a', note: 'young: students and young professionals', personaMix: { student: 0.35, young_professional: 0.35, traveller: 0.15, stretched: 0.15 } },
  { name: 'bank-b', note: 'older savers: retirees and cash-rich savers', personaMix: { retiree: 0.45, cash_rich_saver: 0.35, mortgage_family: 0.1, traveller: 0.1 } },
  { name: 'bank-c', note: 'families: mortgages and stretched budgets', personaMix: { mortgage_family: 0.5, stretched: 0.3, young_professional: 0.1, retiree: 0.1 } },
];

export interface DemoOptions {
  customers: number;
  days: number;
  seed: number;
  rounds: number;
  /** The product whose campaign every bank ran (and whose take-up the model predicts). */
  family: ActionFamily;
  dp: boolean;
  dataDir: string;
}

/** One row of the quality table: a model's test AUC on each bank's test rows and on all of them. */
export interface AucRow {
  model: string;
  perBank: (number | null)[];
  all: number | null;
}

export interface DemoResult {
  family: string;
  banks: { name: string; note: string; trainRows: number; trainPositives: number; testRows: number; testPositives: number }[];
  table: AucRow[];
  federated: FederatedResult;
  dpResult: FederatedResult | null;
  /** Largest |federated − central| prediction over every test row (same cuts, DP off). */
  maxPredictionGap: number;
  /** Central training of the same trees on the pooled rows (the time floor). */
  centralSeconds: number;
  simulateSeconds: number;
  served: { bank: string; model: string; customer: string; action: string; how: 'decision' | 'profile' } | null;
}

/** The demo's GBDT settings: shallow trees for small banks. */
export const DEMO_PARAMS = { max_depth: 3, eta: 0.1, maxBin: 32, min_child_weight: 2, lambda: 1 };

/**
 * The DP setting the docs recommend: few rounds, few bins, heavy regularisation, so each
 * released histogram cell sums many rows and the noise (σ per cell) is small beside it.
 */
export const DP_PARAMS = { rounds: 10, max_depth: 3, eta: 0.4, maxBin: 16, min_child_weight: 200, lambda: 100 };
export const DP_BUDGET = { epsilon: 8, delta: 1e-6 };

/** Simulates the banks, trains federated / central / local-only models and measures them. */
export async function threeBankExperiment(o: DemoOptions, say: (s: string) => void = () => {}): Promise<DemoResult> {
  const t0 = performance.now();
  // The demo wipes its own folder, never anything else (a mistyped --data-dir pointing at a real store).
  const foreign = existsSync(o.dataDir) ? readdirSync(o.dataDir).filter((f) => !/^bank-[a-c](\.yaml)?$|^coordinator\.yaml$/.test(f)) : [];
  if (foreign.length > 0) throw new ValidationError([{ field: 'data-dir', rule: 'demo_only', message: `${o.dataDir} holds ${foreign.slice(0, 3).join(', ')}: not a federated demo folder, so it is not wiped` }]);
  rmSync(o.dataDir, { recursive: true, force: true });
  const startDate = '2025-01-01';
  const end = Date.parse(`${startDate}T00:00:00Z`) + o.days * MS_PER_DAY + 9 * 3_600_000;
  const engines: Engine[] = [];
  try {
    for (const [i, b] of DEMO_BANKS.entries()) {
      const engine = await createEngine(loadConfig('none', {}, { dataDir: join(o.dataDir, b.name), log: { level: 'warn' } }), { clock: new ManualClock(end) });
      engines.push(engine);
      const bank = generateDemoBank({ customers: o.customers, days: o.days, seed: o.seed + i, startDate, personaMix: b.personaMix, policy: campaign(o.family) });
      await engine.upsertCustomers(bank.customers);
      let events = 0;
      for await (const day of bank.events) {
        if (day.length === 0) continue;
        await engine.ingest(day, { source: 'federated-demo' });
        events += day.length;
      }
      await engine.consumers.caughtUp(10 * 60_000);
      say(`  ${b.name} (${b.note}): ${o.customers} customers, ${events.toLocaleString('en-GB')} events over ${o.days} days`);
    }
    const simulateSeconds = (performance.now() - t0) / 1000;
    const window = { from: Date.parse(`${startDate}T00:00:00Z`) + 30 * MS_PER_DAY, to: end, observedUntil: end };
    const family = o.family;
    const data: LocalData[] = [];
    for (const e of engines) data.push(await propensityData(e.stores.eventLog, e.features.definitions, window, family));

    // Each bank serves its rows on its own port; the coordinator reaches them over HTTP.
    const token = randomBytes(24).toString('base64url');
    const participants = DEMO_BANKS.map((b, i) => {
      const e = engines[i]!;
      const register = registerInBank(data[i]!, { name: `propensity_${family}`, register: (m) => e.models.register(m), window: { from: iso(window.from), to: iso(window.to) }, definitionsHash: e.features.version, createdAt: () => iso(e.clock.now()) });
      return new Participant(b.name, data[i]!, register);
    });
    const servers = await Promise.all(participants.map((p) => serveParticipant(p, { token })));
    let federated: FederatedResult;
    let dpResult: FederatedResult | null = null;
    try {
      const links = servers.map((s, i) => httpLink({ name: DEMO_BANKS[i]!.name, url: s.url, token }));
      const params = { ...DEMO_PARAMS, rounds: o.rounds };
      const card = { title: `Federated propensity to take up ${family.replace(/_/g, ' ')} offers (three banks)` };
      federated = await trainFederated(links, { params, card });
      if (o.dp) dpResult = await trainFederated(links, { params: DP_PARAMS, privacy: DP_BUDGET, card: { title: `${card.title}, differentially private` } });
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }

    // The baselines: the pooled rows with the federation's cuts, and each bank alone.
    const params = { ...DEMO_PARAMS, rounds: o.rounds };
    const tc = performance.now();
    const central = train({ features: stack(data.map((d) => d.train)), label: concat(data.map((d) => d.trainLabel)), featureNames: data[0]!.featureNames, cuts: federated.cuts }, params).model;
    const centralSeconds = (performance.now() - tc) / 1000;
    const locals = data.map((d) => train({ features: d.train, label: d.trainLabel, featureNames: d.featureNames }, params).model);
    const row = (name: string, m: GbdtModel): AucRow => ({ model: name, perBank: data.map((d) => aucOn(m, d)), all: aucOnAll(m, data) });
    const table = [row('federated', federated.model), row('central (pooled rows)', central), ...locals.map((m, i) => row(`${DEMO_BANKS[i]!.name} alone`, m))];
    if (dpResult) table.splice(1, 0, row(`federated, DP ε=${dpResult.privacy.epsilon}`, dpResult.model));
    let gap = 0;
    for (const d of data) {
      const pf = predictBatch(federated.model, d.test!.features);
      const pc = predictBatch(central, d.test!.features);
      pf.forEach((v, k) => (gap = Math.max(gap, Math.abs(v - pc[k]!))));
    }
    const served = await serveInBank(engines[0]!, federated, family);
    return {
      family,
      banks: DEMO_BANKS.map((b, i) => ({ name: b.name, note: b.note, trainRows: data[i]!.train.nRows, trainPositives: sum(data[i]!.trainLabel), testRows: data[i]!.test!.features.nRows, testPositives: sum(data[i]!.test!.label) })),
      table,
      federated,
      dpResult,
      maxPredictionGap: gap,
      centralSeconds,
      simulateSeconds,
      served,
    };
  } finally {
    await Promise.all(engines.map((e) => e.close()));
  }
}

/** `nextbest federated demo` */
export async function runDemo(o: DemoOptions, say: (s: string) => void): Promise<number> {
  say(`nextbest federated demo: three simulated banks, ${o.customers} customers x ${o.days} days each (seed ${o.seed}), stores under ${o.dataDir}`);
  const r = await threeBankExperiment(o, say);
  say('');
  say(`propensity_${r.family}: take-up of ${r.family.replace(/_/g, ' ')} offers within 14 days (time split per bank: earlier 80% train, latest 20% test)`);
  for (const b of r.banks) say(`  ${b.name}: ${b.trainRows} training rows (${b.trainPositives} take-ups), ${b.testRows} test rows (${b.testPositives} take-ups)`);
  say('');
  say(formatTable(r).join('\n'));
  say('');
  const f = r.federated;
  say(`federated training: ${f.rounds} rounds over HTTP in ${f.wallSeconds.toFixed(1)} s, ${(f.bytesPerRound / 1024).toFixed(0)} KiB sent and received per round; the coordinator saw only masked sums`);
  say(`federated vs central on the pooled rows (same bin cuts, DP off): largest prediction difference ${r.maxPredictionGap.toExponential(1)}`);
  if (r.dpResult) say(`with DP: Gaussian noise multiplier ${r.dpResult.privacy.noiseMultiplier}, ${r.dpResult.privacy.releases} releases, (ε, δ) = (${r.dpResult.privacy.epsilon}, ${r.dpResult.privacy.delta})`);
  say(`registered in every bank: ${f.participants.map((p) => `${p.name} ${p.registered ?? '(not registered)'}`).join(', ')}`);
  if (r.served?.how === 'decision') say(`serving: ${r.served.bank} promoted ${r.served.model}; a decision for ${r.served.customer} scored the action ${r.served.action} with it`);
  else if (r.served) say(`serving: ${r.served.bank} promoted ${r.served.model}; no decision scored ${r.family} (the campaign put its customers under the family's contact cap), but ${r.served.customer}'s profile carries ${r.served.action} from ${r.served.model}`);
  say(`(simulating and ingesting the three banks took ${r.simulateSeconds.toFixed(1)} s)`);
  return 0;
}

/** The quality table as Markdown. */
export function formatTable(r: DemoResult): string[] {
  const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
  const lines = [`| model | ${DEMO_BANKS.map((b) => `${b.name} test AUC`).join(' | ')} | all banks' test rows |`, `|---|${DEMO_BANKS.map(() => '---').join('|')}|---|`];
  for (const row of r.table) lines.push(`| ${row.model} | ${row.perBank.map(f).join(' | ')} | ${f(row.all)} |`);
  return lines;
}

/**
 * Each bank's campaign for the product: on a tenth of days an eligible customer is shown it
 * on their preferred channel (in-app without one), so every bank has take-ups to learn from
 * and the model's inputs (the profile) carry what drives them, not a random channel.
 */
function campaign(family: ActionFamily): NamedPolicy {
  return {
    name: `campaign-${family}`,
    decide(view, ctx) {
      if (ctx.rng.next() >= 0.1 || !eligibleFamilies(view).includes(family)) return null;
      return { family, channel: view.customer.preferredChannel ?? 'in_app' };
    },
  };
}

/** Promotes the federated model in one bank and finds a decision it scores. */
async function serveInBank(engine: Engine, f: FederatedResult, family: string): Promise<DemoResult['served']> {
  const id = f.participants[0]?.registered;
  if (!id) return null;
  await engine.models.promote(id, { force: 'three-bank federated demo: promoted to show the federated model serving decisions', actor: 'federated-demo' });
  // A decision that scores the product with it (the campaign's own contacts put most customers under the
  // family's 90-day contact cap); failing that, the profile's propensity, which serving computes with the champion.
  const customers = await engine.stores.customers.list({ limit: 200 });
  const bank = f.participants[0]!.name;
  for (const c of customers) {
    const d = await engine.decide({ customerId: c.customerId, channel: 'in_app', n: 5 });
    const hit = Object.entries(d.models ?? {}).find(([, m]) => m === id);
    if (hit) return { bank, model: id, customer: c.customerId, action: hit[0], how: 'decision' };
  }
  const first = customers[0];
  if (!first) return null;
  const scores = (await engine.profile(first.customerId)).scores;
  const p = scores?.propensities?.[family];
  return p ? { bank, model: p.model, customer: first.customerId, action: `propensity ${p.probability}`, how: 'profile' } : null;
}

function aucOn(m: GbdtModel, d: LocalData): number | null {
  const t = d.test!;
  const s = sum(t.label);
  return s > 0 && s < t.label.length ? auc(predictBatch(m, t.features), t.label) : null;
}

function aucOnAll(m: GbdtModel, data: LocalData[]): number | null {
  const x = stack(data.map((d) => d.test!.features));
  const y = concat(data.map((d) => d.test!.label));
  const s = sum(y);
  return s > 0 && s < y.length ? auc(predictBatch(m, x), y) : null;
}

function stack(ms: FeatureMatrix[]): FeatureMatrix {
  return { nRows: ms.reduce((s, m) => s + m.nRows, 0), nFeatures: ms[0]!.nFeatures, values: concat(ms.map((m) => m.values)) };
}

function concat(xs: Float64Array[]): Float64Array {
  const out = new Float64Array(xs.reduce((s, x) => s + x.length, 0));
  let k = 0;
  for (const x of xs) {
    out.set(x, k);
    k += x.length;
  }
  return out;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}
