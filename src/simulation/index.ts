/**
 * The digital twin: a synthetic bank whose customers follow hidden rules we know, to feed
 * the engine realistic events and to score models and strategies against the truth.
 */
import type { Customer } from '../core/customer.js';
import type { BankEvent } from '../core/events.js';
import { PolicyLoop, type NamedPolicy, type PolicyReport } from './closedLoop.js';
import { FaultInjector } from './faults.js';
import { REFERENCE_POLICIES } from './policies.js';
import { parseScenario, type ScenarioInput } from './scenario.js';
import { Twin } from './twin.js';
import { CHANNEL, FAMILY, type ActionFamily, type OfferChannel } from './offers.js';

export { Scenario, parseScenario, loadScenario, type ScenarioInput } from './scenario.js';
export { Twin, type Day } from './twin.js';
export { simulateToFiles, type RunSummary, type RunOptions, type EventFormat } from './output.js';
export { runClosedLoop, viewOf, PolicyLoop, type Policy, type NamedPolicy, type Offer, type CustomerView, type TruthView, type PolicyContext, type PolicyReport, type ClosedLoopOptions } from './closedLoop.js';
export { randomPolicy, rulesPolicy, oraclePolicy, oracleValuePolicy, noContactPolicy, oracle, REFERENCE_POLICIES, eligibleFamilies } from './policies.js';
export { ACTION_FAMILIES, OFFER_CHANNELS, type ActionFamily, type OfferChannel } from './offers.js';
export { PERSONAS, type PersonaName } from './personas.js';
export { FaultInjector, corrupt, MALFORMED_KINDS, type FaultCounts } from './faults.js';
export { Yardstick, comparisonTable, summariseComparison, yardstickTable, GOAL, acceptedValue, CONTACT_COST_GBP, HARM_COST_GBP, type TwinComparison, type YardstickSummary, type YardstickRow } from './yardstick.js';
export { IngestGate, type GateCounts } from './ingestGate.js';

export interface DemoBank {
  customers: Customer[];
  /**
   * One array per simulated day, in event-time order, generated lazily as it is read.
   * With `faults` in the options, rows may be duplicates, late, or malformed objects.
   */
  events: AsyncIterable<(BankEvent | Record<string, unknown>)[]>;
  /** With a policy: its report so far (complete once `events` is exhausted). */
  report?: () => PolicyReport;
  /**
   * A day after the history (call once `events` is exhausted): shows each offer to its
   * customer and says whether they took it up, from the twin's hidden propensities. The
   * day's own events are not returned (the history ends where it ended).
   */
  liveDay(offers: readonly { customerId: string; family: string; channel: string }[]): { accepted: boolean }[];
}

export interface DemoBankOptions extends Partial<Omit<ScenarioInput, 'customers' | 'days' | 'seed'>> {
  customers: number;
  days: number;
  seed: number;
  /** A reference policy (or your own) in the loop, so the events include offer responses. */
  policy?: 'random' | 'rules' | 'oracle' | 'oracle-value' | NamedPolicy;
}

/** A synthetic bank for the demo: customer records now, events day by day on demand. */
export function generateDemoBank(options: DemoBankOptions): DemoBank {
  const { policy, ...input } = options;
  const scenario = parseScenario({ name: 'demo', ...input });
  const twin = new Twin(scenario);
  const customers = Array.from({ length: twin.pop.n }, (_, i) => twin.pop.customerRecord(i, scenario.startDate));
  const loop = policy === undefined ? undefined : new PolicyLoop(twin, typeof policy === 'string' ? REFERENCE_POLICIES[policy]! : policy);
  const faults = FaultInjector.none(scenario.faults) ? undefined : new FaultInjector(scenario.faults, scenario.seed);
  async function* days(): AsyncGenerator<(BankEvent | Record<string, unknown>)[]> {
    for (let d = 0; d < scenario.days; d++) {
      twin.beginDay(d);
      if (loop) await loop.decideToday();
      const events = twin.events(twin.finishDay());
      yield faults ? faults.day(d, events) : events;
    }
    if (faults) yield faults.flush();
  }
  let extraDays = 0;
  const liveDay: DemoBank['liveDay'] = (offers) => {
    twin.beginDay(scenario.days + extraDays++);
    const out = offers.map((o) => {
      const i = Number(o.customerId.slice(1)) - 1;
      const family = FAMILY[o.family as ActionFamily];
      const channel = CHANNEL[o.channel as OfferChannel];
      if (!(i >= 0 && i < twin.pop.n) || family === undefined || channel === undefined || !twin.isActive(i)) return { accepted: false };
      return { accepted: twin.present(i, family, channel).accepted };
    });
    twin.finishDay();
    return out;
  };
  return loop ? { customers, events: days(), report: () => loop.report(), liveDay } : { customers, events: days(), liveDay };
}
