/**
 * Would card debt show the financial stress the catalogue's signs miss? With no offers made
 * (one scenario and seed, 2,000 customers), on days 30, 60, 100 and 150: among credit-card
 * holders, by hidden stress state and by whether the bank catalogue's stress sign already
 * flags them (overdraft days, missed repayments, hardship contacts, a financial vulnerability),
 * what they owe on the card and what that is against a month's card spend, and how many owe at
 * least a month's spend. Diagnosis only: the stress state is read to group, nothing decides.
 *
 *   npx tsx bench/qualityCardDebt.ts shock 2
 */
import { viewOf } from '../src/simulation/closedLoop.js';
import { loadScenario } from '../src/simulation/index.js';
import { STRESS_STATES } from '../src/simulation/population.js';
import { parseScenario } from '../src/simulation/scenario.js';
import { Twin } from '../src/simulation/twin.js';
import { twinProfile } from '../src/simulation/twinProfile.js';

const [scen = 'shock', seedArg = '2'] = process.argv.slice(2);
const twin = new Twin(parseScenario({ ...loadScenario(`scenarios/${scen}.yaml`), seed: Number(seedArg), days: 151, customers: 2000 }));
const records = Array.from({ length: twin.pop.n }, (_, i) => twin.pop.customerRecord(i, twin.scenario.startDate));
const quantile = (a: number[], p: number) => (a.length ? [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))]!.toFixed(2) : 'n/a');
for (let d = 0; d <= 150; d++) {
  twin.beginDay(d);
  twin.finishDay();
  if (![30, 60, 100, 150].includes(d)) continue;
  const groups = new Map<string, { owed: number[]; ratio: number[] }>();
  for (let i = 0; i < twin.pop.n; i++) {
    if (!twin.isActive(i)) continue;
    const v = viewOf(twin, i, records[i]!);
    if (!v.holdings.includes('credit_card')) continue;
    const p = twinProfile(v, 'email');
    const n = (k: string) => Number(p[k] ?? Number.NaN);
    const flagged = n('overdraft_days_90d') >= 10 || n('loan_repayments_missed_365d') >= 1 || n('hardship_contacts_365d') >= 1 || v.customer.vulnerabilityFlags.some((f) => f === 'financial_difficulty' || f === 'low_resilience');
    const key = `${STRESS_STATES[twin.pop.stress[i]!]}${flagged ? ', flagged' : ''}`;
    const g = groups.get(key) ?? { owed: [], ratio: [] };
    const owed = Math.max(0, -v.balances.creditCard);
    g.owed.push(owed);
    // The twin profile's monthly_outgoings is its card spend over 30 days (twinProfile.ts).
    g.ratio.push(owed / Math.max(1, n('monthly_outgoings')));
    groups.set(key, g);
  }
  console.log(`# day ${d}: card holders, owed (GBP p25/p50/p75), owed / a month's card spend (p10/p25/p50/p75), owing ≥ a month's spend`);
  for (const [k, g] of [...groups].sort()) console.log(k.padEnd(20), String(g.owed.length).padStart(5), [0.25, 0.5, 0.75].map((q) => quantile(g.owed, q)).join(' / '), '|', [0.1, 0.25, 0.5, 0.75].map((q) => quantile(g.ratio, q)).join(' / '), '|', g.ratio.filter((r) => r >= 1).length);
}
