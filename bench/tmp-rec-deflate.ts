import { deflateRawSync } from 'node:zlib';
import { ManualClock } from '../src/core/clock.js';
import { mulberry32 } from '../src/core/random.js';
import { Decisioning, GbdtScorer } from '../src/decisioning/index.js';
import { MemoryContactStore } from '../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../src/store/memory/decisionLog.js';
import type { LoggedDecision } from '../src/store/decisionLog.js';
import { catalogue50, customerFor, profileFor, trainModel } from './decideFixtures.js';
const cat = catalogue50();
const model = trainModel(50);
const families = [...new Set(cat.actions.map((a) => a.family))];
const scorer = new GbdtScorer({ families: Object.fromEntries(families.map((f) => [f, { version: `bench-${f}@1`, model: structuredClone(model) }])) });
const rng = mulberry32(5);
const customers = Array.from({ length: 50 }, (_, i) => customerFor(i, rng));
const profiles = customers.map(() => profileFor(rng));
const clock = new ManualClock('2026-03-02T10:00:00Z');
const recs: string[] = [];
class L extends MemoryDecisionLog { override async append(d: LoggedDecision) { recs.push(JSON.stringify(d.record)); return super.append(d); } }
const d = new Decisioning(cat, { clock, customers: { get: async (id) => customers[Number(id.slice(1))] }, consentEvents: async () => [], profiles: { profile: async (id) => ({ values: profiles[Number(id.slice(1))]!, version: 'bench' }) }, contacts: new MemoryContactStore(), log: new L(), scorer });
for (let day = 0; day < 20; day++) { clock.advance(86_400_000); for (let i = 0; i < 50; i++) await d.decide({ customerId: `c${i}`, channel: 'in_app', n: 3 }); }
const last = recs.slice(-200);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log('packed JSON mean', mean(last.map((s) => s.length)).toFixed(0));
console.log('sample', last[last.length - 1]!.slice(0, 3000));
for (const level of [1, 3, 6]) {
  const t0 = process.cpuUsage();
  let bytes = 0;
  for (let k = 0; k < 20; k++) for (const s of last) bytes += deflateRawSync(s, { level }).length;
  const c = process.cpuUsage(t0);
  console.log(`level ${level}: ${((c.user + c.system) / (20 * last.length)).toFixed(1)} µs CPU per record, ${(bytes / (20 * last.length)).toFixed(0)} B`);
}
