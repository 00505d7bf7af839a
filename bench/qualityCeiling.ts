/**
 * How much the engine's models hold it back on one scenario and seed (2,000 customers, 90
 * days unless given): the engine as `decide compare` runs it (models learnt from the
 * exploration run, retrained in the loop), and the same engine — catalogue, arbitration,
 * contact policy, channel order — with the twin's true take-up chance of each action on each
 * channel in place of every propensity ("engine-truth"), beside rules, random and the value
 * oracle. The gap from engine to engine-truth is what better propensity models could win;
 * from engine-truth to the value oracle, what the catalogue and the way the engine decides
 * leave (rules, caps, harm pricing, one channel at a time, suitability it cannot see).
 * Diagnosis only: engine-truth reads the twin's truth, as the oracles do.
 *
 *   npx tsx bench/qualityCeiling.ts default 2 [days]
 */
import { measureOnTwin } from '../src/simulation/enginePolicy.js';
import { ACTION_FAMILIES } from '../src/simulation/offers.js';
import { REFERENCE_POLICIES } from '../src/simulation/policies.js';
import { comparisonTable } from '../src/simulation/yardstick.js';
import { engineArm, qualitySetup, truthEngineArm } from './qualitySetup.js';

const [scen = 'default', seedArg = '1', daysArg = '90'] = process.argv.slice(2);
const seed = Number(seedArg);
const days = Number(daysArg);
const setup = await qualitySetup(scen, seed, days);
const { input } = setup;

const engineTruth = truthEngineArm(setup);
const engine = engineArm(setup);

const reports = [];
for (const policy of [engine, engineTruth, REFERENCE_POLICIES.rules!, REFERENCE_POLICIES.random!, REFERENCE_POLICIES['oracle-value']!]) {
  reports.push(await measureOnTwin(policy, input, { days, seed }));
}
console.log(`# ${scen} seed ${seed}, ${days} days: the engine with its models and with the true take-up chances`);
for (const line of comparisonTable(reports)) console.log(line);
console.log('# first take-up value by family (GBP)');
console.log('family'.padEnd(16), ...reports.map((r) => r.policy.padStart(14)));
for (const f of ACTION_FAMILIES) console.log(f.padEnd(16), ...reports.map((r) => String(Math.round(r.firstTakeUpValueByFamily[f] ?? 0)).padStart(14)));
