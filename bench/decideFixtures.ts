/**
 * The decision benchmark's world: a 50-action catalogue, customers and profiles with
 * realistic ranges, and a 200-tree propensity model. Shared by the benchmark and by
 * profiling runs, so both measure the same thing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Customer } from '../src/core/customer.js';
import { mulberry32 } from '../src/core/random.js';
import { parseCatalogueYaml, type Catalogue, type FeatureValues, type PropensityModel } from '../src/decisioning/index.js';
import { modelToJson, train } from '../src/models/gbdt/index.js';
import { createEngine } from '../src/engine.js';
import { generateDemoBank } from '../src/simulation/index.js';

const DAY_MS = 86_400_000;

export const root = fileURLToPath(new URL('..', import.meta.url));
export const FEATURES = ['idle_cash', 'current_balance_avg_30d', 'savings_balance_avg_90d', 'income_90d', 'monthly_outgoings', 'card_spend_30d', 'card_spend_fx_90d', 'transfers_out_other_banks_90d', 'complaints_365d', 'logins_30d', 'overdraft_days_90d', 'loan_repayments_missed_365d', 'days_since_salary', 'card_spend_gambling_90d', 'hardship_contacts_365d', 'base_rate_change_120d'];

/** The bank catalogue grown to 50 actions: variants of its actions with other values and priors. */
export function catalogue50(): Catalogue {
  const base = parseCatalogueYaml(readFileSync(join(root, 'catalogue/default.yaml'), 'utf8'));
  const actions = [...base.actions];
  for (let k = 0; actions.length < 50; k++) {
    const a = base.actions[k % base.actions.length]!;
    actions.push({ ...a, id: `${a.id}_v${Math.floor(k / base.actions.length) + 2}`, value: { ...a.value, amountGbp: Math.round(a.value.amountGbp * (0.8 + 0.05 * (k % 9))) }, prior: Math.min(1, a.prior * (0.7 + 0.1 * (k % 7))) });
  }
  return { ...base, actions };
}

/** A profile with realistic ranges: most rules can pass, so most actions reach scoring. */
export function profileFor(rng: { next(): number }): FeatureValues {
  const p: Record<string, number | null> = {};
  p.current_balance_avg_30d = 500 + rng.next() * 20_000;
  p.savings_balance_avg_90d = rng.next() < 0.5 ? 0 : rng.next() * 40_000;
  p.monthly_outgoings = 800 + rng.next() * 2500;
  p.idle_cash = Math.max(0, p.current_balance_avg_30d + p.savings_balance_avg_90d - p.monthly_outgoings);
  p.income_90d = 4000 + rng.next() * 15_000;
  p.card_spend_30d = rng.next() * 2000;
  p.card_spend_fx_90d = rng.next() < 0.3 ? rng.next() * 2000 : 0;
  p.transfers_out_other_banks_90d = rng.next() < 0.1 ? 2000 : 0;
  p.complaints_365d = rng.next() < 0.05 ? 1 : 0;
  p.logins_30d = Math.floor(rng.next() * 40);
  p.overdraft_days_90d = rng.next() < 0.08 ? 20 : 0;
  p.loan_repayments_missed_365d = 0;
  p.days_since_salary = Math.floor(rng.next() * 30);
  p.card_spend_gambling_90d = 0;
  p.hardship_contacts_365d = 0;
  p.base_rate_change_120d = 0;
  return p;
}

export function customerFor(i: number, rng: { next(): number }): Customer {
  const holdings = ['current_account', ...['savings', 'credit_card', 'personal_loan', 'mortgage', 'isa', 'pension'].filter(() => rng.next() < 0.3)];
  return Customer.parse({
    customerId: `c${i}`,
    dateOfBirth: `${1950 + Math.floor(rng.next() * 50)}-03-15`,
    riskTolerance: (['low', 'medium', 'high'] as const)[Math.floor(rng.next() * 3)],
    financialSophistication: (['novice', 'intermediate', 'experienced'] as const)[Math.floor(rng.next() * 3)],
    holdings,
    // Customers who accept marketing mostly accept personalised offers too (without it a
    // decision may only make non-personalised offers, and most chose nothing).
    consents: ((marketing) => ({ marketing, personalised_offers: marketing }))(rng.next() < 0.85),
  });
}

/** Synthetic take-up data over the profile features: 8,000 rows, the propensity models' training set. */
export function trainingData(): { values: Float64Array; label: Float64Array; nRows: number } {
  const rng = mulberry32(11);
  const n = 8000;
  const values = new Float64Array(n * FEATURES.length);
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = profileFor(rng);
    FEATURES.forEach((f, j) => (values[i * FEATURES.length + j] = p[f] ?? Number.NaN));
    const x = -3 + (p.idle_cash as number) / 15_000 + (p.logins_30d as number) / 25 - (p.card_spend_30d as number) / 3000 + (p.overdraft_days_90d as number) / 10;
    label[i] = rng.next() < 1 / (1 + Math.exp(-x)) ? 1 : 0;
  }
  return { values, label, nRows: n };
}

/** The propensity models' parameters: depth 6, eta 0.05. */
export const MODEL_PARAMS = { maxDepth: 6, learningRate: 0.05, seed: 3 } as const;

/** One 200-tree model on synthetic take-up data over the profile features. */
export function trainModel(rounds: number): PropensityModel['model'] {
  const { values, label, nRows } = trainingData();
  return train({ features: { nRows, nFeatures: FEATURES.length, values }, label, featureNames: FEATURES }, { rounds, ...MODEL_PARAMS }).model;
}

/**
 * A data directory a server can decide from as a bank would: twin customers with their
 * history ingested (profiles from real events, ending today), the 50-action catalogue, and
 * a 200-tree propensity champion per action family in the model registry.
 */
export async function prepareBankDir(dir: string, o: { customers: number; days: number; model: PropensityModel['model']; catalogueFile: string }): Promise<{ customerIds: string[]; events: number; families: string[] }> {
  const start = new Date(Date.now() - o.days * DAY_MS).toISOString().slice(0, 10);
  const engine = await createEngine({ dataDir: dir, log: { level: 'silent' }, decisioning: { catalogue: o.catalogueFile } });
  try {
    const bank = generateDemoBank({ customers: o.customers, days: o.days, seed: 7, startDate: start, policy: 'random' });
    await engine.upsertCustomers(bank.customers);
    let events = 0;
    for await (const day of bank.events) events += (await engine.ingest(day)).accepted;
    const definitionsHash = engine.features.version;
    const families = [...new Set(engine.catalogue.actions().map((a) => a.family))].sort();
    const window = { from: start, to: new Date().toISOString().slice(0, 10) };
    for (const family of families) {
      const r = await engine.models.register({
        name: `propensity_${family}`,
        kind: 'gbdt',
        trainingWindow: window,
        features: [...o.model.featureNames],
        definitionsHash,
        params: { rounds: o.model.trees.length, maxDepth: 6 },
        metrics: {},
        card: { title: `bench propensity (${family})`, intendedUse: 'benchmark only', outOfScope: 'real customers', data: { window, rows: 8000, label: 'synthetic take-up', split: 'none' }, features: { count: o.model.featureNames.length, definitionsHash, names: [...o.model.featureNames] }, metrics: {}, limitations: ['trained on synthetic rows'], fairness: 'not audited (benchmark model)' },
        artefact: modelToJson(o.model),
        createdAt: new Date().toISOString(),
      });
      // A synthetic-label benchmark model has no test AUC for the promotion guard to judge.
      await engine.models.promote(r.id, { force: 'benchmark model on synthetic labels' });
    }
    return { customerIds: bank.customers.map((c) => c.customerId), events, families };
  } finally {
    await engine.close();
  }
}
