/**
 * What the bandit step costs a decision: in-process decisions/s on the 50-action catalogue
 * (prior propensities, memory stores), the deterministic engine as the floor in the same
 * run, then a 10% exploration budget and a full one (200 Thompson draws per decision for
 * the selection probabilities), and the off-policy evaluation rate over logged decisions.
 */
import { ManualClock } from '../src/core/clock.js';
import { mulberry32 } from '../src/core/random.js';
import { BanditSettings, Decisioning, customerView, type DecisionRecord } from '../src/decisioning/index.js';
import { MemoryContactStore } from '../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../src/store/memory/decisionLog.js';
import { catalogue50, customerFor, profileFor } from './decideFixtures.js';
import type { Bench, BenchRow } from './harness.js';

async function rate(budget: number | undefined, n: number): Promise<{ perSecond: number; records: DecisionRecord[]; d: Decisioning }> {
  const clock = new ManualClock('2026-03-02T12:00:00Z');
  const log = new MemoryDecisionLog();
  const d = new Decisioning(catalogue50(), {
    clock,
    customers: { get: async () => undefined },
    consentEvents: async () => [],
    contacts: new MemoryContactStore(),
    log,
    shap: false,
    ...(budget !== undefined ? { bandit: BanditSettings.parse({ channels: { in_app: budget } }) } : {}),
  });
  const rng = mulberry32(5);
  const inputs = Array.from({ length: n }, (_, i) => ({ customer: customerView(customerFor(i, rng), clock.now()), profile: profileFor(rng), profileVersion: 'bench', scores: {}, consents: { marketing: true, personalised_offers: true }, context: {}, sessionId: null }));
  const records: DecisionRecord[] = [];
  // Warm-up, then the timed run.
  for (let i = 0; i < Math.min(200, n); i++) await d.decideWith(inputs[i]!, { channel: 'in_app', n: 1, now: clock.now(), decisionId: `w${i}` });
  const t = performance.now();
  for (let i = 0; i < n; i++) records.push(await d.decideWith(inputs[i]!, { channel: 'in_app', n: 1, now: clock.now(), decisionId: `d${i}` }));
  return { perSecond: n / ((performance.now() - t) / 1000), records, d };
}

const bench: Bench = {
  name: 'bandit',
  async run({ quick }) {
    const n = quick ? 500 : 4000;
    const floor = await rate(undefined, n);
    const explore = await rate(0.1, n);
    const full = await rate(1, n);
    const rows: BenchRow[] = [
      { case: `${n} decisions, 50 actions, in_app`, metric: 'deterministic engine', value: floor.perSecond, unit: 'decisions/s' },
      { case: `${n} decisions, 50 actions, in_app`, metric: 'bandit, budget 0.1', value: explore.perSecond, unit: 'decisions/s', peer: { name: 'deterministic', value: floor.perSecond }, ratio: explore.perSecond / floor.perSecond, note: 'ratio: bandit / deterministic throughput' },
      { case: `${n} decisions, 50 actions, in_app`, metric: 'bandit, budget 1', value: full.perSecond, unit: 'decisions/s', peer: { name: 'deterministic', value: floor.perSecond }, ratio: full.perSecond / floor.perSecond, note: 'ratio: bandit / deterministic throughput' },
    ];
    const arms = full.records.reduce((a, r) => a + (r.bandit?.arms.length ?? 0), 0) / full.records.length;
    rows.push({ case: `${n} decisions, 50 actions, in_app`, metric: 'arms per bandit decision (mean)', value: arms, unit: 'actions' });
    const outcomes = explore.records.map((r, i) => ({ decision: { decisionId: r.decisionId, customerId: r.customerId, channel: r.channel, decidedAt: Date.parse(r.decidedAt), catalogueVersion: r.catalogueVersion, record: r }, accepted: new Set(i % 9 === 0 && r.chosen[0] ? [r.chosen[0].actionId] : []) }));
    const t = performance.now();
    await explore.d.offPolicy({ levers: { families: { savings: 100 } }, resamples: 200 }, (async function* () {
      yield* outcomes;
    })());
    rows.push({ case: `${n} logged decisions, 200 bootstrap resamples`, metric: 'off-policy evaluation (lever candidate)', value: n / ((performance.now() - t) / 1000), unit: 'decisions/s' });
    return { rows, notes: ['Prior propensities (no GBDT), no SHAP: the bandit step\'s own cost stands out. The arms are the actions that passed every policy and check (their mean count is a row).'] };
  },
};
export default bench;
