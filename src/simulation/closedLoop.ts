/**
 * The closed loop: each simulated morning a policy sees what an engine could see about
 * each customer and picks an offer and a channel (or nothing); the twin shows it, draws
 * the response from the hidden propensity and lets the day play out. The report says how
 * the policy did: acceptance, revenue and CLV, churn, contact pressure and harm.
 */
import type { Customer } from '../core/customer.js';
import type { BankEvent } from '../core/events.js';
import { deriveSeed, mulberry32, type Rng } from '../core/random.js';
import { FaultInjector, type FaultCounts } from './faults.js';
import { IngestGate, type GateCounts } from './ingestGate.js';
import { ACTION_FAMILIES, CHANNEL, consentAllows, FAMILY, holdingNames, type ActionFamily, type OfferChannel, type OfferConsents } from './offers.js';
import { PERSONAS } from './personas.js';
import { CONSENT_BIT, Population, STREAM } from './population.js';
import { parseScenario, type Scenario, type ScenarioInput } from './scenario.js';
import { acceptProbability, churnHazard, suitable } from './truth.js';
import { Twin, type Day } from './twin.js';

/** What a policy may offer: an action family on a channel (actionId defaults to the family). */
export interface Offer {
  family: ActionFamily;
  channel: OfferChannel;
}

/** What an engine could know about a customer: the record and summaries of their events. */
export interface CustomerView {
  customerId: string;
  customer: Customer;
  /** Product families held now (opened and closed products show in the events). */
  holdings: string[];
  /** Consents in force today (marketing can change during the run; a `consent_change` event says so). */
  consents: OfferConsents;
  /** Balances in GBP (the bank's own ledger). */
  balances: { current: number; savings: number; creditCard: number; loan: number; mortgage: number; invested: number };
  /**
   * Exponentially decayed sums, GBP or counts: spend, logins and transfers with a 30-day
   * half-life; missed and late repayments, complaints, hardship contacts (topics `hardship`,
   * `payment_difficulty`) and days ending overdrawn with a 90-day half-life.
   */
  recent: {
    cardSpend: number;
    spendAbroad: number;
    logins: number;
    transfersToCompetitors: number;
    missedPayments: number;
    complaints: number;
    latePayments: number;
    hardshipContacts: number;
    overdrawnDays: number;
  };
  /** Days since the latest missed repayment, late repayment and hardship contact (Infinity: none seen). */
  daysSince: { missedPayment: number; latePayment: number; hardshipContact: number };
  lastSalary: number;
  daysSinceSalary: number;
  /** Days since the bank last contacted the customer with an offer (Infinity: never). */
  daysSinceContact: number;
  /** Offers the bank made the customer in the last 30 days (its own contact log; 0 when absent). */
  contacts30d?: number;
  /** Days since the customer last took up an offer of each family the bank made (its own response log; absent: never). */
  daysSinceTakeUp?: Partial<Record<ActionFamily, number>>;
  /** Base-rate change in the last 120 days (percentage points), from market events. */
  baseRateChange: number;
  /** Days of the customer's history the bank holds: the run starts without the history before it, so on day d it is d. */
  historyDays?: number;
}

/** The hidden truth, shown only to policies that declare `seesTruth` (the oracle). */
export interface TruthView {
  acceptProbability(family: ActionFamily, channel: OfferChannel): number;
  suitable(family: ActionFamily): boolean;
  churnHazard: number;
  leaving: boolean;
  persona: string;
}

export interface PolicyContext {
  day: number;
  date: string;
  /** The policy's own seeded randomness. */
  rng: Rng;
  truth?: TruthView;
}

export type Policy = (view: CustomerView, ctx: PolicyContext) => Offer | null | Promise<Offer | null>;
export interface NamedPolicy {
  name: string;
  decide: Policy;
  seesTruth?: boolean;
  /** Hears each finished day's events (offer responses included), as an engine hears its event stream. */
  observe?: (events: BankEvent[], day: number) => void | Promise<void>;
}

export interface FamilyStats {
  shown: number;
  accepted: number;
  harm: number;
}

export interface PolicyReport {
  policy: string;
  scenario: string;
  seed: number;
  customers: number;
  days: number;
  offersShown: number;
  accepted: number;
  acceptanceRate: number;
  /** Revenue booked from accepted offers (GBP). */
  offerRevenueGBP: number;
  /** The bank's margin on balances over the run (GBP): what churn costs shows up here. */
  marginGBP: number;
  /** (offer revenue + margin) per customer over the run: the run's CLV per customer. */
  clvPerCustomerGBP: number;
  churned: number;
  churnRate: number;
  contactsPerCustomer: number;
  /** Accepted offers that were unsuitable for the customer at the time. */
  harm: number;
  /** Marketing offers (retention to a customer who has not complained included) shown to customers without marketing or personalised-offers consent. */
  consentBreaches: number;
  byFamily: Record<string, FamilyStats>;
  /**
   * The scenario's data faults as the policy's event feed met them (null: no faults, or no
   * policy or hook read the feed): what was injected and what ingestion refused or dropped.
   */
  feed: { injected: FaultCounts; gate: GateCounts } | null;
}

/** One offer shown and its outcome, as the loop saw it (what the yardstick scores). */
export interface OfferShown {
  customerId: string;
  day: number;
  offer: Offer;
  /** The customer was running down their relationship when the offer went out. */
  leaving: boolean;
  accepted: boolean;
  suitable: boolean;
}

export interface ClosedLoopOptions {
  scenario?: Scenario | ScenarioInput;
  policy: NamedPolicy;
  /** Overrides the scenario's days and seed. */
  days?: number;
  seed?: number;
  /**
   * Receives each day's events (offer responses included), e.g. to feed an engine. With
   * faults in the scenario, this is the feed after ingestion: late rows arrive on a later day.
   */
  onDay?: (events: BankEvent[], day: number) => void | Promise<void>;
  /** Hears each offer shown, with its outcome, straight from the twin (never faulted). */
  onOffer?: (shown: OfferShown) => void;
  /** Called after each simulated day (for a progress bar). */
  onProgress?: (daysDone: number) => void;
  /** Awaited after each simulated day: a server running the twin yields to its requests here. */
  pause?: () => Promise<void>;
}

/** Replays the scenario with the policy in the loop and reports how it did. */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<PolicyReport> {
  const base = parseScenario(options.scenario ?? {});
  const scenario = parseScenario({ ...base, ...(options.days !== undefined ? { days: options.days } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  const twin = new Twin(scenario);
  const loop = new PolicyLoop(twin, options.policy, options.onOffer);
  // The feed a policy observes carries the scenario's faults, through ingestion's checks.
  const faults = FaultInjector.none(scenario.faults) ? undefined : new FaultInjector(scenario.faults, scenario.seed);
  const gate = new IngestGate(scenario.faults.maxLateDays + 2);
  const observed = options.onDay !== undefined || options.policy.observe !== undefined;
  for (let d = 0; d < scenario.days; d++) {
    twin.beginDay(d);
    await loop.decideToday();
    const day: Day = twin.finishDay();
    if (observed) {
      const clean = twin.events(day);
      const rows = faults ? [...faults.day(d, clean), ...(d === scenario.days - 1 ? faults.flush() : [])] : undefined;
      const events = rows ? gate.admit(rows, d, day.date) : clean;
      if (options.policy.observe) await options.policy.observe(events, d);
      if (options.onDay) await options.onDay(events, d);
    }
    options.onProgress?.(d + 1);
    if (options.pause) await options.pause();
  }
  const report = loop.report();
  if (faults && observed) report.feed = { injected: structuredClone(faults.counts), gate: { ...gate.counts } };
  return report;
}

/**
 * A policy attached to a twin: each morning (after beginDay, before finishDay) it asks the
 * policy about every active customer, shows the offers and keeps the tally.
 */
export class PolicyLoop {
  private readonly records: Customer[];
  private readonly rng: Rng;
  private readonly byFamily = Object.fromEntries(ACTION_FAMILIES.map((f) => [f, { shown: 0, accepted: 0, harm: 0 }])) as Record<string, FamilyStats>;
  private shown = 0;
  private accepted = 0;
  private revenue = 0;
  private harm = 0;
  private breaches = 0;
  /** The bank's own contact log: the days of each customer's offers in the last 30 days. */
  private readonly contactDays = new Map<number, number[]>();

  constructor(
    private readonly twin: Twin,
    private readonly policy: NamedPolicy,
    private readonly onOffer?: (shown: OfferShown) => void,
  ) {
    this.records = Array.from({ length: twin.pop.n }, (_, i) => twin.pop.customerRecord(i, twin.scenario.startDate));
    this.rng = mulberry32(deriveSeed(twin.scenario.seed, STREAM.policy));
  }

  /** Asks the policy about every active customer today and plays out the offers. */
  async decideToday(): Promise<void> {
    const { twin, policy } = this;
    const pop = twin.pop;
    const { day, date } = twin.today;
    for (let i = 0; i < pop.n; i++) {
      if (!twin.isActive(i)) continue;
      const ctx: PolicyContext = { day, date, rng: this.rng };
      if (policy.seesTruth) ctx.truth = truthView(twin, i);
      const view = viewOf(twin, i, this.records[i]!);
      const log = this.contactDays.get(i);
      if (log) {
        while (log.length > 0 && day - log[0]! >= 30) log.shift();
        view.contacts30d = log.length;
      }
      const pending = policy.decide(view, ctx);
      const offer = pending instanceof Promise ? await pending : pending;
      if (!offer) continue;
      const family = FAMILY[offer.family];
      const channel = CHANNEL[offer.channel];
      if (family === undefined || channel === undefined) throw new Error(`policy ${policy.name} returned an unknown offer ${JSON.stringify(offer)}`);
      if (!consentAllows(view.consents, offer.family, view.recent.complaints)) this.breaches++;
      const leaving = pop.leaveDay[i]! >= 0;
      const outcome = twin.present(i, family, channel);
      const days = this.contactDays.get(i);
      if (days) days.push(day);
      else this.contactDays.set(i, [day]);
      this.onOffer?.({ customerId: Population.id(i), day, offer, leaving, accepted: outcome.accepted, suitable: outcome.suitable });
      const stats = this.byFamily[offer.family]!;
      this.shown++;
      stats.shown++;
      if (outcome.accepted) {
        this.accepted++;
        this.revenue += outcome.revenue;
        stats.accepted++;
        if (!outcome.suitable) {
          this.harm++;
          stats.harm++;
        }
      }
    }
  }

  /** The tally so far as a policy report. */
  report(): PolicyReport {
    const { twin } = this;
    const pop = twin.pop;
    let churned = 0;
    for (let i = 0; i < pop.n; i++) if (!twin.isActive(i)) churned++;
    const margin = twin.totals.margin / 100;
    const round = (x: number, k = 4) => Number(x.toFixed(k));
    return {
      policy: this.policy.name,
      scenario: twin.scenario.name,
      seed: twin.scenario.seed,
      customers: pop.n,
      days: twin.today.day + 1,
      offersShown: this.shown,
      accepted: this.accepted,
      acceptanceRate: round(this.shown > 0 ? this.accepted / this.shown : 0),
      offerRevenueGBP: this.revenue,
      marginGBP: round(margin, 2),
      clvPerCustomerGBP: round((this.revenue + margin) / pop.n, 2),
      churned,
      churnRate: round(churned / pop.n),
      contactsPerCustomer: round(this.shown / pop.n),
      harm: this.harm,
      consentBreaches: this.breaches,
      byFamily: this.byFamily,
      feed: null,
    };
  }
}

/** The engine's view of customer i: no persona, no hazards, no stress state. */
export function viewOf(twin: Twin, i: number, customer: Customer): CustomerView {
  const pop = twin.pop;
  const d = twin.today.day;
  const gbp = (pence: number) => Math.round(pence) / 100;
  const since = (day: number) => (day < -900 ? Infinity : d - day);
  return {
    customerId: Population.id(i),
    customer,
    holdings: holdingNames(pop.holdings[i]!),
    consents: { marketing: (pop.consents[i]! & CONSENT_BIT.marketing) !== 0, personalised_offers: (pop.consents[i]! & CONSENT_BIT.personalised_offers) !== 0 },
    balances: { current: gbp(pop.current[i]!), savings: gbp(pop.savings[i]!), creditCard: gbp(pop.card[i]!), loan: gbp(-pop.loan[i]!), mortgage: gbp(-pop.mortgage[i]!), invested: gbp(pop.invested[i]!) },
    recent: {
      cardSpend: gbp(pop.spend30[i]!),
      spendAbroad: gbp(pop.abroad30[i]!),
      logins: Math.round(pop.logins30[i]! * 10) / 10,
      transfersToCompetitors: gbp(pop.competitorOut30[i]!),
      missedPayments: Math.round(pop.missed90[i]! * 10) / 10,
      complaints: Math.round(pop.complaints90[i]! * 10) / 10,
      latePayments: Math.round(pop.late90[i]! * 10) / 10,
      hardshipContacts: Math.round(pop.hardship90[i]! * 10) / 10,
      overdrawnDays: Math.round(pop.overdrawn90[i]! * 10) / 10,
    },
    daysSince: { missedPayment: since(pop.lastMissedDay[i]!), latePayment: since(pop.lastLateDay[i]!), hardshipContact: since(pop.lastHardshipDay[i]!) },
    lastSalary: gbp(pop.lastSalary[i]!),
    daysSinceSalary: pop.lastSalaryDay[i]! < -900 ? Infinity : d - pop.lastSalaryDay[i]!,
    daysSinceContact: pop.lastContact[i]! < -900 ? Infinity : d - pop.lastContact[i]!,
    baseRateChange: twin.market.rateDelta,
    historyDays: d,
  };
}

function truthView(twin: Twin, i: number): TruthView {
  const pop = twin.pop;
  const d = twin.today.day;
  return {
    acceptProbability: (family, channel) => acceptProbability(pop, i, FAMILY[family], CHANNEL[channel], d, twin.market),
    suitable: (family) => suitable(pop, i, FAMILY[family]),
    churnHazard: churnHazard(pop, i, d, twin.market),
    leaving: pop.leaveDay[i]! >= 0,
    persona: PERSONAS[pop.primary[i]!]!,
  };
}

