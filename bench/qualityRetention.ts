/**
 * Does the engine find the customers who are leaving? On one scenario and seed (2,000
 * customers, 90 days), for every customer the twin knows to be leaving, what the engine saw
 * when it decided for them (the served churn risk, money moving out, complaints) and what it
 * offered; beside it, the same for customers who stay. Diagnosis only: the truth is read to
 * score, never passed to the engine.
 *
 *   npx tsx bench/qualityRetention.ts default 3
 */
import { RecentDecisionLog } from '../src/simulation/enginePolicy.js';
import { runClosedLoop, type NamedPolicy } from '../src/simulation/closedLoop.js';
import { engineArm, qualitySetup } from './qualitySetup.js';

const [scen = 'default', seedArg = '1'] = process.argv.slice(2);
const seed = Number(seedArg);
const setup = await qualitySetup(scen, seed, 90);
const { input, trained } = setup;
// Why a leaver with a high churn score got no retention offer: the retention actions' trace in each such decision.
const watching = new Set<string>();
const whyNot = new Map<string, number>();
class Watching extends RecentDecisionLog {
  override async append(d: Parameters<RecentDecisionLog['append']>[0]): Promise<void> {
    if (watching.has(d.customerId)) {
      const rec = (await engine.decisioning.readRecord(d)) as unknown as { candidates?: { actionId: string; status: string; excludedBy?: { rule?: string; kind?: string }; priority?: number; propensity?: number }[]; chosen?: { actionId: string }[] };
      for (const c of rec.candidates ?? []) if (c.actionId.startsWith('ret_')) {
        const k = `${c.actionId} ${c.status} ${c.excludedBy?.rule ?? c.excludedBy?.kind ?? ''}${c.status !== 'excluded' ? ` (chosen ${d.chosenActions.join(',') || 'none'})` : ''}`;
        whyNot.set(k, (whyNot.get(k) ?? 0) + 1);
      }
    }
    return super.append(d);
  }
}
const engine = engineArm(setup, { log: new Watching() });
type Who = { days: number; churnSum: number; likely: number; movingOut: number; complaint: number; offered: Record<string, number>; accepted: number; retentionOffers: number };
const who = (): Who => ({ days: 0, churnSum: 0, likely: 0, movingOut: 0, complaint: 0, offered: {}, accepted: 0, retentionOffers: 0 });
const group = { leaving: who(), staying: who() };
const leavers = new Set<string>();
const reached = new Set<string>();
const consenting = new Set<string>();
const flagged = new Set<string>();
const histogram = { leaving: new Array(10).fill(0) as number[], staying: new Array(10).fill(0) as number[] };
const policy: NamedPolicy = {
  ...engine,
  seesTruth: true,
  decide: async (view, ctx) => {
    const leaving = ctx.truth!.leaving;
    const { truth: _t, ...blind } = ctx;
    const g = leaving ? group.leaving : group.staying;
    const churn = trained.scores.scores(view).churn_risk ?? Number.NaN;
    g.days++;
    if (Number.isFinite(churn)) { g.churnSum += churn; histogram[leaving ? 'leaving' : 'staying'][Math.min(9, Math.floor(churn * 20))]!++; }
    if (churn >= 0.1) g.likely++;
    if (view.recent.transfersToCompetitors >= 1000) g.movingOut++;
    if (view.recent.complaints >= 1) g.complaint++;
    if (leaving) leavers.add(view.customerId);
    if (leaving && view.consents.marketing && view.consents.personalised_offers) consenting.add(view.customerId);
    if (leaving && churn >= 0.1 && view.consents.marketing && view.consents.personalised_offers) flagged.add(view.customerId);
    if (leaving && churn >= 0.1) watching.add(view.customerId); else watching.delete(view.customerId);
    const offer = await engine.decide(view, blind as typeof ctx);
    if (offer) {
      g.offered[offer.family] = (g.offered[offer.family] ?? 0) + 1;
      if (offer.family === 'retention') { g.retentionOffers++; if (leaving) reached.add(view.customerId); }
    }
    return offer;
  },
};
await runClosedLoop({ scenario: input, policy, days: 90, seed });
for (const [k, g] of Object.entries(group)) {
  console.log(`${k}: ${g.days} customer-days decided; mean churn score ${(g.churnSum / g.days).toFixed(3)}; churn >= 0.1 on ${(100 * g.likely / g.days).toFixed(1)}%; money out ${(100 * g.movingOut / g.days).toFixed(1)}%; complaint ${(100 * g.complaint / g.days).toFixed(1)}%`);
  console.log('  offers', JSON.stringify(g.offered));
  console.log('  churn score histogram (0.05 bins)', histogram[k as 'leaving'].map((x) => (100 * x / g.days).toFixed(1)).join(' '));
}
for (const [k, n] of [...whyNot].sort((a, b) => b[1] - a[1])) console.log(String(n).padStart(6), k);
console.log(`leavers seen ${leavers.size}, offered retention ${reached.size}; with marketing consent ${consenting.size}, of whom flagged (churn >= 0.1) ${flagged.size}, offered retention ${[...reached].filter((c) => consenting.has(c)).length}`);
