/**
 * Profiling aid, not a benchmark: runs in-process decisions (9 family models × 200 trees,
 * no SHAP) in a loop so `node --cpu-prof` can show where a decision's time goes.
 * `npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-decide.ts [N]`
 */
import { ManualClock } from '../src/core/clock.js';
import { mulberry32 } from '../src/core/random.js';
import { Decisioning, GbdtScorer } from '../src/decisioning/index.js';
import { MemoryContactStore } from '../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../src/store/memory/decisionLog.js';
import { catalogue50, customerFor, profileFor, trainModel } from './decideFixtures.js';

const N = Number(process.argv[2] ?? 20_000);
const cat = catalogue50();
const model = trainModel(200);
const families = [...new Set(cat.actions.map((a) => a.family))];
const scorer = new GbdtScorer({ families: Object.fromEntries(families.map((f) => [f, { version: `bench-${f}@1`, model: structuredClone(model) }])) });
const rng = mulberry32(5);
const customers = Array.from({ length: 10_000 }, (_, i) => customerFor(i, rng));
const profiles = customers.map(() => profileFor(rng));
const clock = new ManualClock('2026-03-02T10:00:00Z');
const d = new Decisioning(cat, {
  clock,
  customers: { get: async (id) => customers[Number(id.slice(1))] },
  consentEvents: async () => [],
  profiles: { profile: async (id) => ({ values: profiles[Number(id.slice(1))]!, version: 'bench' }) },
  contacts: new MemoryContactStore(),
  log: new MemoryDecisionLog(),
  ...(process.env.MODELS === '0' ? {} : { scorer }),
  shap: process.env.SHAP === '1',
});
for (let i = 0; i < 1000; i++) await d.decide({ customerId: `c${i}`, channel: 'in_app', n: 3 });
const start = performance.now();
for (let i = 0; i < N; i++) {
  if (i % customers.length === 0) clock.advance(8 * 86_400_000);
  await d.decide({ customerId: `c${i % customers.length}`, channel: 'in_app', n: 3 });
}
const ms = performance.now() - start;
process.stdout.write(`${N} decisions in ${ms.toFixed(0)} ms: ${((N * 1000) / ms).toFixed(0)}/s, ${((ms * 1000) / N).toFixed(1)} µs each\n`);
