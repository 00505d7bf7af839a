import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { generateDemoBank } from '../../src/simulation/index.js';

const DAY = 86_400_000;

/**
 * A small bank from the digital twin for the console's end-to-end tests: customers, their
 * events (with a few injected faults for the quarantine), offer responses, and propensity
 * models trained but not promoted, so the test has a candidate to promote.
 */
export async function twinBank(o: { customers: number; days: number; seed: number; apiKey: string }): Promise<{ engine: Engine; customerIds: string[] }> {
  const startDate = '2025-01-01';
  const clock = new ManualClock(Date.parse(`${startDate}T00:00:00Z`) + o.days * DAY + 9 * 3_600_000);
  const engine = await createEngine({ store: 'memory', log: { level: 'silent' }, server: { apiKeys: [o.apiKey] } }, { clock });
  const bank = generateDemoBank({ customers: o.customers, days: o.days, seed: o.seed, startDate, policy: 'random', faults: { duplicateRate: 0.002, lateRate: 0.002, malformedRate: 0.0005, maxLateDays: 2 } });
  await engine.upsertCustomers(bank.customers);
  let pending: unknown[] = [];
  for await (const page of bank.events) {
    pending.push(...page);
    if (pending.length >= 5000) {
      await engine.ingest(pending, { source: 'twin' });
      pending = [];
    }
  }
  if (pending.length > 0) await engine.ingest(pending, { source: 'twin' });
  await engine.trainModels({ models: ['propensity'] });
  // Customers who allow marketing and personalised offers first: the console's decision tests
  // open the first one and need a decision that chooses something.
  const open = (c: (typeof bank.customers)[number]) => {
    const k = c.consents as Record<string, boolean | undefined> | undefined;
    return k?.marketing === true && k?.personalised_offers === true && (c.vulnerabilityFlags ?? []).length === 0;
  };
  const ids = [...bank.customers.filter(open), ...bank.customers.filter((c) => !open(c))].map((c) => c.customerId);
  return { engine, customerIds: ids };
}
