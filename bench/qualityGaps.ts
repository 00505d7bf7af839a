/**
 * Where the engine's net value is lost against the value oracle on one scenario and seed
 * (90 days, 2,000 customers): offers, take-ups and net value (first suitable take-up value
 * less contact and harm costs, as the yardstick counts them) by channel, by family on each
 * channel, and by customer group (risk tolerance, age band, preferred channel: what the bank
 * can see), with the gap to the value oracle. Diagnosis only; it runs the same arms as
 * `decide compare` and prints a table.
 *
 *   npx tsx bench/qualityGaps.ts default 1
 */
import { runClosedLoop, type NamedPolicy } from '../src/simulation/closedLoop.js';
import { REFERENCE_POLICIES } from '../src/simulation/policies.js';
import { acceptedValue, CONTACT_COST_GBP, HARM_COST_GBP } from '../src/simulation/yardstick.js';
import { engineArm, qualitySetup } from './qualitySetup.js';
const [scen = 'default', seed = '1'] = process.argv.slice(2);
const setup = await qualitySetup(scen, Number(seed), 90);
const { input } = setup;
type T = { offers: number; accepted: number; value: number; cost: number; harm: number };
async function tally(p: NamedPolicy) {
  const group = new Map<string, string>();
  const wrapped: NamedPolicy = { ...p, decide: (view, ctx) => { if (!group.has(view.customerId)) { const c = view.customer; const age = c.dateOfBirth ? Math.floor((Date.parse('2025-01-01') - Date.parse(c.dateOfBirth)) / 3.15576e10) : -1; group.set(view.customerId, `risk=${c.riskTolerance ?? 'none'}|age=${age < 0 ? '?' : age < 35 ? '<35' : age < 50 ? '35-49' : age < 65 ? '50-64' : '65+'}|pref=${c.preferredChannel ?? 'none'}`); } return p.decide(view, ctx); } };
  const out = new Map<string, T>();
  const taken = new Set<string>();
  const add = (k: string, f: (t: T) => void) => { const t = out.get(k) ?? { offers: 0, accepted: 0, value: 0, cost: 0, harm: 0 }; f(t); out.set(k, t); };
  await runClosedLoop({ scenario: input, policy: wrapped, days: 90, seed: Number(seed), onOffer: (x) => {
    const g = group.get(x.customerId)!.split('|');
    const keys = [`channel=${x.offer.channel}`, `${g[0]}`, `${g[1]}`, `${g[2]}`, `fam-ch=${x.offer.family}@${x.offer.channel}`];
    const first = x.accepted && x.suitable && !taken.has(`${x.customerId}|${x.offer.family}`);
    if (x.accepted) taken.add(`${x.customerId}|${x.offer.family}`);
    for (const k of keys) add(k, (t) => { t.offers++; t.cost += CONTACT_COST_GBP[x.offer.channel]; if (x.accepted) t.accepted++; if (first) t.value += acceptedValue(x.offer.family, x.leaving); if (x.accepted && !x.suitable) t.harm += HARM_COST_GBP; });
  } });
  return out;
}
const e = await tally(engineArm(setup));
const o = await tally(REFERENCE_POLICIES['oracle-value']!);
const keys = [...new Set([...e.keys(), ...o.keys()])].sort();
console.log('key'.padEnd(34), 'engine: offers acc net | oracle-value: offers acc net | gap');
for (const k of keys) {
  const a = e.get(k) ?? { offers: 0, accepted: 0, value: 0, cost: 0, harm: 0 };
  const b = o.get(k) ?? { offers: 0, accepted: 0, value: 0, cost: 0, harm: 0 };
  const na = a.value - a.cost - a.harm, nb = b.value - b.cost - b.harm;
  console.log(k.padEnd(34), String(a.offers).padStart(6), String(a.accepted).padStart(5), String(Math.round(na)).padStart(7), '|', String(b.offers).padStart(6), String(b.accepted).padStart(5), String(Math.round(nb)).padStart(7), '|', String(Math.round(na - nb)).padStart(7));
}
