/**
 * Why the engine does not sell what the value oracle would, on one scenario and seed (2,000
 * customers, 90 days unless given). Each day, for each customer the engine decides for, the
 * value oracle's pick is worked out from the twin's truth (policies.ts `oracleChoice`: the
 * suitable family and channel with the highest expected value among those taken up with a
 * chance of at least 0.3); where that family is one of the families asked about and the engine
 * chose something else, the engine's
 * logged decision says why: the family's main action excluded by a rule (named), no action of
 * the family scored above doing nothing, it lost to another family, or the customer was at a
 * contact cap before any decision. Counts are customer-days, so one customer blocked for a month
 * counts about 30 times. With `truth` (the default) the engine's propensities are the twin's true
 * take-up chances, as bench/qualityCeiling.ts's engine-truth arm, so what is left is the
 * catalogue and the way the engine decides; with `models`, its own models (no retraining).
 * Diagnosis only: it reads the twin's truth.
 *
 *   npx tsx bench/qualityMisses.ts default 2 [truth|models] [days] [families, comma-separated]
 */
import { enginePolicy, measureOnTwin, RecentDecisionLog } from '../src/simulation/enginePolicy.js';
import type { NamedPolicy } from '../src/simulation/closedLoop.js';
import type { ActionFamily } from '../src/simulation/offers.js';
import { oracleChoice, VALUE_ORACLE_MIN_PROBABILITY } from '../src/simulation/policies.js';
import type { LoggedDecision } from '../src/store/decisionLog.js';
import { qualitySetup, truthEngineArm } from './qualitySetup.js';

const [scen = 'default', seedArg = '2', mode = 'truth', daysArg = '90', familiesArg = 'investment,credit_card,refinancing'] = process.argv.slice(2);
const seed = Number(seedArg);
const days = Number(daysArg);
const asked = new Set(familiesArg.split(','));
/** The action whose exclusion is reported for each family (the family's broadest offer); other families: the first candidate. */
const MAIN: Record<string, string> = { investment: 'inv_isa_open', credit_card: 'cc_travel', refinancing: 'refi_fixed_rate', savings: 'sav_easy_access', pension: 'pen_consolidate', retention: 'ret_loyalty_rate' };

const setup = await qualitySetup(scen, seed, days);
/** Each customer's decision of the day (the log keeps every one, chosen or not). */
const latest = new Map<string, LoggedDecision>();
class LatestLog extends RecentDecisionLog {
  override async append(d: LoggedDecision): Promise<void> {
    latest.set(d.customerId, d);
    return super.append(d);
  }
}
const log = new LatestLog();
const inner = mode === 'models' ? enginePolicy(setup.catalogue, setup.trained.scorer, 'engine-models', setup.trained.scores, undefined, { log }) : truthEngineArm(setup, { log });
const tally = new Map<string, number>();
const add = (k: string) => tally.set(k, (tally.get(k) ?? 0) + 1);

/** What the engine did on a day the value oracle would have sold the customer `best`. */
async function outcome(best: ActionFamily, offered: ActionFamily | undefined, customerId: string): Promise<string> {
  if (offered === best) return 'offered';
  const d = latest.get(customerId);
  if (!d) return 'at a contact cap before any decision';
  const record = await inner.decisioning.readRecord(d);
  const candidates = record.candidates.filter((c) => c.family === best);
  if (candidates.length === 0) return 'no action of the family in the catalogue';
  if (candidates.some((c) => c.status !== 'excluded')) return `lost to ${offered ?? 'another decision of the day'}`;
  const main = candidates.find((c) => c.actionId === MAIN[best]) ?? candidates[0]!;
  return `${main.actionId} excluded by ${main.excludedBy?.rule ?? main.excludedBy?.kind ?? '?'}`;
}

const policy: NamedPolicy = {
  ...inner,
  seesTruth: true,
  async decide(view, ctx) {
    latest.delete(view.customerId);
    const offer = await inner.decide(view, ctx);
    const best = ctx.truth ? oracleChoice(view, ctx.truth, VALUE_ORACLE_MIN_PROBABILITY)?.family : undefined;
    if (best && asked.has(best)) add(`${best}: ${await outcome(best, offer?.family, view.customerId)}`);
    return offer;
  },
};
const report = await measureOnTwin(policy, setup.input, { days, seed });
console.log(`# ${scen} seed ${seed}, ${days} days, engine with ${mode === 'models' ? 'its models' : 'the true take-up chances'}: net £${Math.round(report.netValueGBP)}, harm ${report.harm}`);
console.log('# customer-days the value oracle would sell the family, and what the engine did');
for (const [k, v] of [...tally].sort((a, b) => a[0].localeCompare(b[0]) || b[1] - a[1])) console.log(String(v).padStart(7), k);
