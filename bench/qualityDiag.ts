/**
 * Why the engine's arm scores what it does on one scenario and seed (2,000 customers, 90
 * days unless given): the exploration run and training as `decide compare` does them, then
 * the engine arm alone, with (1) each family's calibration on the engine's own offers in
 * 15-day blocks (mean predicted take-up against the take-up heard), (2) every unsuitable
 * take-up with what the bank could see of the customer when it decided, (3) value, harm
 * and contacts by family, and (4) offers by action. Diagnosis only: it reads the twin's outcomes to score, never to decide.
 *
 *   npx tsx bench/qualityDiag.ts default 3 [days]
 */
import { RecentDecisionLog, twinProfile } from '../src/simulation/enginePolicy.js';
import { runClosedLoop, type CustomerView, type NamedPolicy } from '../src/simulation/closedLoop.js';
import { TwinRetrainer, type LabelledOffer } from '../src/simulation/twinRetrain.js';
import { ACTION_FAMILIES } from '../src/simulation/offers.js';
import { acceptedValue, CONTACT_COST_GBP, HARM_COST_GBP } from '../src/simulation/yardstick.js';
import { engineArm, qualitySetup } from './qualitySetup.js';

const [scen = 'default', seedArg = '1', daysArg = '90'] = process.argv.slice(2);
const seed = Number(seedArg);
const days = Number(daysArg);
// CATALOGUE=path tries another catalogue (an A/B of catalogue changes on the same run).
const setup = await qualitySetup(scen, seed, days);
const { input, trained, retrain } = setup;

/** Keeps every offer the engine made (the retrainer itself drops those past its window). */
class RecordingRetrainer extends TwinRetrainer {
  readonly all = new Map<string, LabelledOffer>();
  override offered(offer: LabelledOffer): void {
    super.offered(offer);
    this.all.set(`${offer.group}|${offer.day}`, offer);
  }
}
const retrainer = new RecordingRetrainer(trained.exploration, trained.models, retrain);
/** Offers by action: every logged decision that chose something is an offer made (the log keeps only those). */
const byAction = new Map<string, number>();
class CountingLog extends RecentDecisionLog {
  override async append(d: Parameters<RecentDecisionLog['append']>[0]): Promise<void> {
    for (const a of d.chosenActions) byAction.set(a, (byAction.get(a) ?? 0) + 1);
    return super.append(d);
  }
}
const engine = engineArm(setup, { retrainer, log: new CountingLog() });
const seen = new Map<string, CustomerView>();
const policy: NamedPolicy = { ...engine, decide: (view, ctx) => { seen.set(`${view.customerId}|${ctx.day}`, view); return engine.decide(view, ctx); } };

type Tally = { offers: number; accepted: number; value: number; cost: number; harm: number };
const byFamily = new Map<string, Tally>();
const taken = new Set<string>();
const harms: string[] = [];
let acceptedValueAll = 0;
const blocks = new Map<string, { n: number; p: number; y: number }>();
const run = await runClosedLoop({ scenario: input, policy, days, seed, onOffer: (x) => {
  const t = byFamily.get(x.offer.family) ?? { offers: 0, accepted: 0, value: 0, cost: 0, harm: 0 };
  t.offers++;
  t.cost += CONTACT_COST_GBP[x.offer.channel];
  const first = x.accepted && x.suitable && !taken.has(`${x.customerId}|${x.offer.family}`);
  if (x.accepted) acceptedValueAll += acceptedValue(x.offer.family, x.leaving);
  if (x.accepted) { t.accepted++; taken.add(`${x.customerId}|${x.offer.family}`); }
  if (first) t.value += acceptedValue(x.offer.family, x.leaving);
  if (x.accepted && !x.suitable) {
    t.harm += HARM_COST_GBP;
    const v = seen.get(`${x.customerId}|${x.day}`)!;
    const p = twinProfile(v, x.offer.channel);
    const o = retrainer.all.get(`${Number(x.customerId.replace(/\D/g, ''))}|${x.day}`);
    const f = (k: string) => { const n = p[k]; return typeof n === 'number' ? Math.round(n * 10) / 10 : n; };
    harms.push(`day ${x.day} ${x.customerId} ${x.offer.family}@${x.offer.channel} p=${o?.predicted?.toFixed(3) ?? '?'} od90=${f('overdraft_days_90d')} late=${f('loan_repayments_late_365d')} missed=${f('loan_repayments_missed_365d')} hardship=${f('hardship_contacts_365d')} cur=${f('current_balance_avg_30d')} sav=${f('savings_balance_avg_90d')} inc90=${f('income_90d')} out=${f('monthly_outgoings')} card=${f('card_spend_30d')} logins=${f('logins_30d')} vuln=${f('vulnerable')} risk=${f('risk_level')} holds=${v.holdings.join('+')} days(late/missed/hard)=${v.daysSince.latePayment}/${v.daysSince.missedPayment}/${v.daysSince.hardshipContact}`);
  }
  byFamily.set(x.offer.family, t);
} });
for (const o of retrainer.all.values()) {
  if (o.predicted === undefined) continue;
  const k = `${ACTION_FAMILIES[o.family]} d${Math.floor(o.day / 15) * 15}`;
  const b = blocks.get(k) ?? { n: 0, p: 0, y: 0 };
  b.n++; b.p += o.predicted; b.y += o.label;
  blocks.set(k, b);
}
console.log(`# ${scen} seed ${seed}, ${days} days: calibration on the engine's own offers (15-day blocks)`);
for (const [k, b] of [...blocks].sort()) console.log(k.padEnd(26), String(b.n).padStart(6), 'pred', (b.p / b.n).toFixed(3), 'obs', (b.y / b.n).toFixed(3));
console.log('# retraining checks');
for (const c of retrainer.checks) console.log(JSON.stringify(c));
console.log('# by family: offers accepted firstValue contactCost harmCost net');
let total = 0;
for (const [f, t] of [...byFamily].sort()) { const net = t.value - t.cost - t.harm; total += net; console.log(f.padEnd(16), t.offers, t.accepted, t.value, t.cost, t.harm, Math.round(net)); }
console.log('net', Math.round(total), 'accepted value (every take-up)', acceptedValueAll, 'churned', run.churned);
console.log('# offers by action');
console.log([...byAction].sort().map(([a, n]) => `${a}=${n}`).join(' '));
console.log(`# unsuitable take-ups (${harms.length})`);
for (const h of harms) console.log(h);
