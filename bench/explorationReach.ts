/**
 * Where the exploration run's offers land: per family, the offers and take-ups in all, and
 * those the engine's catalogue could have made to that customer that day (catalogueReach.ts),
 * for each share of targeted draws given (0: the uniform draw). Exploration run only, as
 * `decide compare` trains on (seed + 1000, 2,000 customers, 90 days).
 *
 *   npx tsx bench/explorationReach.ts default 2 0 0.5
 */
import { readFileSync } from 'node:fs';
import { parseCatalogueYaml } from '../src/index.js';
import { trainTwinScorer } from '../src/simulation/enginePolicy.js';
import { loadScenario } from '../src/simulation/index.js';
import { ACTION_FAMILIES } from '../src/simulation/offers.js';
import { TRAINING_SEED_OFFSET } from '../src/simulation/compare.js';

const [scen = 'default', seedArg = '2', ...shares] = process.argv.slice(2);
const seed = Number(seedArg);
const input = { ...loadScenario(`scenarios/${scen}.yaml`), seed, days: 90, customers: 2000 };
const catalogue = parseCatalogueYaml(readFileSync(process.env.CATALOGUE ?? 'catalogue/default.yaml', 'utf8'));
for (const share of shares.length > 0 ? shares.map(Number) : [0, 0.5]) {
  const t = await trainTwinScorer(input, { days: 90, seed: seed + TRAINING_SEED_OFFSET, exploration: { catalogue, targeted: share, balance: process.env.BALANCE !== '0' } });
  console.log(`# ${scen} seed ${seed} (exploration seed ${seed + TRAINING_SEED_OFFSET}), targeted share ${share}: ${t.samples} offers, ${t.accepted} taken up`);
  console.log('family'.padEnd(16), 'offers', 'taken', 'reachable', 'reach-taken', 'reach-rate', 'other-rate');
  ACTION_FAMILIES.forEach((f, k) => {
    const rows = t.exploration.filter((s) => s.family === k);
    const r = rows.filter((s) => s.explored?.reachable);
    const o = rows.filter((s) => !s.explored?.reachable);
    const rate = (xs: typeof rows) => (xs.length ? (xs.filter((s) => s.label === 1).length / xs.length).toFixed(3) : '-');
    console.log(f.padEnd(16), String(rows.length).padStart(6), String(rows.filter((s) => s.label === 1).length).padStart(5), String(r.length).padStart(9), String(r.filter((s) => s.label === 1).length).padStart(11), rate(r).padStart(10), rate(o).padStart(10));
  });
}
