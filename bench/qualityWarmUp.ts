/**
 * The yardstick with history before it (default 60 days): the engine, rules and the value
 * oracle on a run of warm-up + 90 days in which no arm may act before day `warm-up`, so every
 * customer has that much history when the first decision is made and the yardstick counts
 * only the last 90 days (the engine's models are trained as `decide compare` trains them, on a
 * cold 90-day exploration run). Prints net value, accepted value, harm, offers and first
 * take-up value by family per arm. The scenario's market events keep their days, so the
 * scored window is a later part of the scenario than a cold run's: compare by family.
 * Diagnosis only: `decide compare` keeps its cold start.
 *
 *   npx tsx bench/qualityWarmUp.ts default 3 [warm-up days]
 */
import { measureOnTwin } from '../src/simulation/enginePolicy.js';
import type { NamedPolicy } from '../src/simulation/closedLoop.js';
import { REFERENCE_POLICIES } from '../src/simulation/policies.js';
import { engineArm, qualitySetup } from './qualitySetup.js';

const [scen = 'default', seedArg = '3', warmArg = '60'] = process.argv.slice(2);
const seed = Number(seedArg);
const warm = Number(warmArg);
const setup = await qualitySetup(scen, seed, warm + 90);
/** The arm, silent before the warm-up ends. */
const late = (p: NamedPolicy): NamedPolicy => ({ ...p, decide: (view, ctx) => (ctx.day < warm ? null : p.decide(view, ctx)) });
console.log(`# ${scen} seed ${seed}: ${warm} days of history, then 90 scored days`);
for (const p of [engineArm(setup), REFERENCE_POLICIES.rules!, REFERENCE_POLICIES['oracle-value']!]) {
  const r = await measureOnTwin(late(p), setup.input, { days: warm + 90, seed });
  console.log(`${p.name.padEnd(13)} net £${Math.round(r.netValueGBP)}  accepted £${r.acceptedValueGBP}  harm ${r.harm}  offers ${r.offersShown}  first take-up value by family ${JSON.stringify(r.firstTakeUpValueByFamily)}`);
}
