/**
 * How much of the value oracle's value the engine's catalogue could reach at all, on one
 * scenario and seed (2,000 customers, 90 days): the value-oracle arm as `decide compare`
 * runs it, and for each of its offers whether the family had an action that passes the
 * catalogue's screens (scope, validity, channel, consent, eligibility, applicability,
 * suitability; no contact history, no scores) for that customer on that channel and day.
 * For the investments and credit cards it could not reach, the rule that excluded most of the
 * family's actions. Diagnosis only: the oracle reads the twin's truth; the catalogue does not.
 * Scores are absent, so retention's "likely to leave" rule reads NaN and fails (undercounted).
 * Then the same value oracle held to the catalogue (`oracle-value-catalogue`: only families the
 * catalogue could offer on that channel), scored on the yardstick beside the plain one
 * (UNBOUND=1 skips the catalogue: it then scores as the plain oracle, a check of the copy).
 *
 *   npx tsx bench/oracleReach.ts default 2
 */
import { readFileSync } from 'node:fs';
import { parseCatalogueYaml } from '../src/index.js';
import { compileCatalogue, customerView, evaluate, priorOnly, type CandidateTrace } from '../src/decisioning/index.js';
import { runClosedLoop, type CustomerView, type NamedPolicy } from '../src/simulation/closedLoop.js';
import { loadScenario } from '../src/simulation/index.js';
import { oracleChoice, REFERENCE_POLICIES, VALUE_ORACLE_MIN_PROBABILITY } from '../src/simulation/policies.js';
import { measureOnTwin } from '../src/simulation/enginePolicy.js';
import { twinProfile } from '../src/simulation/twinProfile.js';
import type { OfferChannel } from '../src/simulation/offers.js';
import { acceptedValue } from '../src/simulation/yardstick.js';

const [scen = 'default', seed = '2'] = process.argv.slice(2);
const input = { ...loadScenario(`scenarios/${scen}.yaml`), seed: Number(seed), days: 90, customers: 2000 };
const cat = compileCatalogue(parseCatalogueYaml(readFileSync(process.env.CATALOGUE ?? 'catalogue/default.yaml', 'utf8')));

/** The catalogue's evaluation of a twin customer on a channel at mid-morning of a day, before any take-up estimate. */
function traces(view: CustomerView, channel: OfferChannel, date: string): CandidateTrace[] {
  const now = Date.parse(`${date}T10:00:00Z`);
  const consents = { ...view.customer.consents, ...view.consents } as Record<string, boolean>;
  const customer = customerView({ ...view.customer, holdings: view.holdings, consents }, now);
  const inputs = { customer, profile: twinProfile(view, channel), profileVersion: 'twin', scores: {}, consents, history: { contacts: [], declines: [] }, context: {}, sessionId: null };
  return evaluate(cat, inputs, { now, channel, levers: cat.catalogue.levers, scorer: priorOnly }).traces;
}

const oracle = REFERENCE_POLICIES['oracle-value']!;
const seen = new Map<string, { view: CustomerView; date: string }>();
const policy: NamedPolicy = { ...oracle, decide: (v, ctx) => (seen.set(`${v.customerId}|${ctx.day}`, { view: v, date: ctx.date }), oracle.decide(v, ctx)) };
const byFamily = new Map<string, { offers: number; value: number; reachOffers: number; reachValue: number }>();
const why = new Map<string, { offers: number; value: number }>();
const taken = new Set<string>();
await runClosedLoop({ scenario: input, policy, days: 90, seed: Number(seed), onOffer: (x) => {
  const s = seen.get(`${x.customerId}|${x.day}`)!;
  const family = x.offer.family;
  const own = traces(s.view, x.offer.channel, s.date).filter((t) => t.family === family);
  // Passing every screen and losing only on value (arbitration) still counts: the engine's bandit may explore it.
  const reachable = own.some((t) => t.status !== 'excluded' || t.excludedBy?.kind === 'arbitration');
  const first = x.accepted && x.suitable && !taken.has(`${x.customerId}|${family}`);
  if (x.accepted) taken.add(`${x.customerId}|${family}`);
  const value = first ? acceptedValue(family, x.leaving) : 0;
  const t = byFamily.get(family) ?? { offers: 0, value: 0, reachOffers: 0, reachValue: 0 };
  t.offers++;
  t.value += value;
  if (reachable) {
    t.reachOffers++;
    t.reachValue += value;
  }
  byFamily.set(family, t);
  if (!reachable && (family === 'investment' || family === 'credit_card')) {
    const rules = new Map<string, number>();
    for (const c of own) if (c.excludedBy) {
      const k = `${c.excludedBy.kind}: ${c.excludedBy.reason}`;
      rules.set(k, (rules.get(k) ?? 0) + 1);
    }
    const key = `${family} ${[...rules].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '?'}`;
    const w = why.get(key) ?? { offers: 0, value: 0 };
    w.offers++;
    w.value += value;
    why.set(key, w);
  }
} });
console.log(`# ${scen} seed ${seed}: the value oracle's offers by family, and those the catalogue could have made`);
console.log('family'.padEnd(16), 'offers', 'firstValue', 'reachableOffers', 'reachableValue');
for (const [f, t] of [...byFamily].sort()) console.log(f.padEnd(16), String(t.offers).padStart(6), String(t.value).padStart(10), String(t.reachOffers).padStart(15), String(t.reachValue).padStart(14));
console.log('# investments and credit cards out of reach: the rule that excluded most of the family\'s actions (offers, first value)');
for (const [k, w] of [...why].sort((a, b) => b[1].value - a[1].value)) console.log(k.padEnd(100), String(w.offers).padStart(6), String(w.value).padStart(8));

/** The value oracle (policies.ts `oracleChoice` at the value oracle's bar), offering only what the catalogue could offer on the channel. */
const bound: NamedPolicy = {
  name: 'oracle-value-catalogue',
  seesTruth: true,
  decide(view, ctx) {
    const truth = ctx.truth;
    if (!truth || view.daysSinceContact < 7) return null;
    const open = new Map<OfferChannel, Set<string>>();
    const allows = (family: string, channel: OfferChannel) => {
      let o = open.get(channel);
      if (!o) open.set(channel, (o = new Set(traces(view, channel, ctx.date).filter((t) => t.status !== 'excluded' || t.excludedBy?.kind === 'arbitration').map((t) => t.family))));
      return process.env.UNBOUND === '1' || o.has(family);
    };
    // The plain oracle's choice, skipping what the catalogue rules out.
    return oracleChoice(view, truth, VALUE_ORACLE_MIN_PROBABILITY, allows);
  },
};
console.log('# the value oracle, and the same held to the catalogue, on the yardstick');
for (const p of [oracle, bound]) {
  const r = await measureOnTwin(p, input, { days: 90, seed: Number(seed) });
  console.log(p.name.padEnd(24), 'net', Math.round(r.netValueGBP), 'accepted', Math.round(r.acceptedValueGBP), 'harm', r.harm, 'contacts/customer', r.contactsPerCustomer);
}
