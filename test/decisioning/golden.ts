/**
 * The golden decision cases: fixed customers, profiles, clock and a small fixed GBDT
 * propensity model. `npx tsx test/decisioning/golden.ts --write [--keep-model]` regenerates
 * test/fixtures/decisions/golden-v1.json; golden.test.ts checks today's engine against it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mulberry32 } from '../../src/core/random.js';
import { train, saveModel, loadModel } from '../../src/models/gbdt/index.js';
import { GbdtScorer, type DecisionRecord, type FeatureValues } from '../../src/decisioning/index.js';
import type { CustomerInput } from '../../src/core/customer.js';
import { rig } from './rig.js';

export const GOLDEN = new URL('../fixtures/decisions/golden-v1.json', import.meta.url);
export const FEATURES = ['idle_cash', 'logins_30d', 'card_spend_30d'];

export interface GoldenCase {
  name: string;
  at: string;
  customer: Partial<CustomerInput> & { customerId: string };
  profile: FeatureValues;
  request: { channel: 'push' | 'email' | 'in_app'; n: number; context?: Record<string, string | number | boolean> };
}

export const CASES: GoldenCase[] = [
  { name: 'saver with idle cash: targeted-support fund with SHAP', at: '2026-03-02T10:00:00Z', customer: { customerId: 'g1', holdings: ['credit_card'] }, profile: { idle_cash: 25_000, logins_30d: 12, card_spend_30d: 300 }, request: { channel: 'email', n: 2 } },
  { name: 'stressed customer: no credit, service help only', at: '2026-03-02T10:00:00Z', customer: { customerId: 'g2', consents: {} }, profile: { overdraft_days_90d: 30, idle_cash: 0, logins_30d: 2, card_spend_30d: 900 }, request: { channel: 'in_app', n: 3 } },
  { name: 'quiet hours on push in London', at: '2026-03-02T22:15:00Z', customer: { customerId: 'g3' }, profile: { idle_cash: 1000, logins_30d: 30, card_spend_30d: 50 }, request: { channel: 'push', n: 1 } },
  { name: 'minor: eligibility excludes every product', at: '2026-03-02T10:00:00Z', customer: { customerId: 'g4', dateOfBirth: '2012-02-02' }, profile: { idle_cash: null, logins_30d: 5, card_spend_30d: null }, request: { channel: 'in_app', n: 2 } },
];

/** A small model trained on seeded synthetic data: take-up rises with idle cash and logins. */
export function trainGoldenModel(): string {
  const rng = mulberry32(42);
  const n = 2000;
  const values = new Float64Array(n * 3);
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const cash = rng.next() * 40_000;
    const logins = Math.floor(rng.next() * 40);
    const spend = rng.next() * 2000;
    values.set([cash, logins, spend], i * 3);
    const logit = -3 + cash / 12_000 + logins / 20 - spend / 2000;
    label[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  const { model } = train({ features: { nRows: n, nFeatures: 3, values }, label, featureNames: FEATURES }, { rounds: 15, maxDepth: 3, learningRate: 0.3, seed: 1 });
  return saveModel(model);
}

/** Runs one golden case on a fresh rig. */
export async function runCase(c: GoldenCase, modelText: string): Promise<DecisionRecord> {
  const model = loadModel(modelText);
  const scorer = new GbdtScorer({ families: { investment: { version: 'golden-fund@1', model }, savings: { version: 'golden-saver@1', model } } });
  const r = rig({ start: c.at, scorer });
  r.customer(c.customer, c.profile);
  return r.d.decide({ customerId: c.customer.customerId, ...c.request });
}

if (process.argv.includes('--write')) {
  // --keep-model: rerun the cases on the stored model, so a change to decisions is not mixed with a change to training.
  const modelText = process.argv.includes('--keep-model') ? JSON.stringify((JSON.parse(readFileSync(GOLDEN, 'utf8')) as { model: unknown }).model) : trainGoldenModel();
  const records = [];
  for (const c of CASES) records.push({ case: c, record: await runCase(c, modelText) });
  writeFileSync(GOLDEN, `${JSON.stringify({ formatVersion: 1, model: JSON.parse(modelText), cases: records }, null, 1)}\n`);
  process.stdout.write(`wrote ${records.length} golden decisions (${readFileSync(GOLDEN).length} bytes)\n`);
}
