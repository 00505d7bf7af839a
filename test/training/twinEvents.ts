import type { BankEvent } from '../../src/core/events.js';
import { PolicyLoop, REFERENCE_POLICIES, Twin, parseScenario } from '../../src/simulation/index.js';

const DAY = 86_400_000;

/** A seeded twin bank with random offers and a rate cut half way (every family and label has rows), and the end of its last day. */
export async function twinEvents(customers: number, days: number, seed: number): Promise<{ events: BankEvent[]; end: number }> {
  const scenario = parseScenario({ name: 'snapshot', customers, days, seed, groundTruthEveryDays: 0, marketEvents: [{ day: Math.floor(days / 2), kind: 'base_rate_change', value: 3.25, previousValue: 4.75 }] });
  const twin = new Twin(scenario);
  const loop = new PolicyLoop(twin, REFERENCE_POLICIES.random!);
  const events: BankEvent[] = [];
  for (let d = 0; d < days; d++) {
    twin.beginDay(d);
    await loop.decideToday();
    for (const e of twin.events(twin.finishDay())) events.push(e as BankEvent);
  }
  return { events, end: Date.parse(scenario.startDate) + days * DAY };
}
