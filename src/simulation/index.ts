/**
 * The digital twin: a synthetic bank whose customers follow hidden rules we know, to feed
 * the engine realistic events and to score models and strategies against the truth.
 */
import type { Customer } from '../core/customer.js';
import type { BankEvent } from '../core/events.js';
import { parseScenario, type ScenarioInput } from './scenario.js';
import { Twin } from './twin.js';

export { Scenario, parseScenario, loadScenario, type ScenarioInput } from './scenario.js';
export { Twin, type Day } from './twin.js';
export { simulateToFiles, type RunSummary, type RunOptions, type EventFormat } from './output.js';
export { runClosedLoop, viewOf, type Policy, type NamedPolicy, type Offer, type CustomerView, type TruthView, type PolicyContext, type PolicyReport, type ClosedLoopOptions } from './closedLoop.js';
export { randomPolicy, rulesPolicy, oraclePolicy, REFERENCE_POLICIES, eligibleFamilies } from './policies.js';
export { ACTION_FAMILIES, OFFER_CHANNELS, type ActionFamily, type OfferChannel } from './offers.js';
export { PERSONAS, type PersonaName } from './personas.js';
export { FaultInjector, corrupt, MALFORMED_KINDS, type FaultCounts } from './faults.js';

export interface DemoBank {
  customers: Customer[];
  /** One array per simulated day, in event-time order; generated lazily as it is read. */
  events: AsyncIterable<BankEvent[]>;
}

/** A synthetic bank for the demo: customer records now, events day by day on demand. */
export function generateDemoBank(options: { customers: number; days: number; seed: number } & Partial<ScenarioInput>): DemoBank {
  const scenario = parseScenario({ name: 'demo', ...options });
  const twin = new Twin(scenario);
  const customers = Array.from({ length: twin.pop.n }, (_, i) => twin.pop.customerRecord(i, scenario.startDate));
  async function* days(): AsyncGenerator<BankEvent[]> {
    for (let d = 0; d < scenario.days; d++) {
      twin.beginDay(d);
      yield twin.events(twin.finishDay());
    }
  }
  return { customers, events: days() };
}
