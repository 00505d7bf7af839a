/**
 * The twin: a population, a calendar and the market, stepped one day at a time. Each day
 * ends with the day's events sorted in event time; nothing older is kept, so memory is
 * bounded by the population and one day's events.
 */
import type { BankEvent } from '../core/events.js';
import { mulberry32, deriveSeed } from '../core/random.js';
import { Behaviour, type DayTotals } from './behaviour.js';
import { DayBuffer, TYPE_NAMES } from './dayBuffer.js';
import { encodeEvent } from './encode.js';
import { PERSONAS, cdf, drawIndex } from './personas.js';
import { Population, STRESS_STATES, STREAM } from './population.js';
import { presentOffer, type OfferOutcome } from './respond.js';
import { mixVector, type Scenario } from './scenario.js';
import { ACTION_FAMILIES } from './offers.js';
import { acceptProbability, churnHazard, prepaymentHazard, suitable, type MarketState } from './truth.js';

import { MS_PER_DAY as DAY_MS } from '../core/clock.js';
const RATE_MEMORY_DAYS = 120;

/** One finished day: the buffer and the event-time order of its slots. */
export interface Day {
  day: number;
  date: string;
  buffer: DayBuffer;
  order: Int32Array;
  /** Global events of the day (market), already in the public event model. */
  market: BankEvent[];
}

export class Twin {
  readonly pop: Population;
  readonly buffer = new DayBuffer(1 << 14);
  readonly behaviour: Behaviour;
  readonly market: MarketState;
  private readonly start: number;
  private rateChanges: { day: number; delta: number }[] = [];
  private shocks: { day: number; move: number }[] = [];
  private todaysMarket: BankEvent[] = [];
  private date = '';
  private day = -1;
  readonly totals: DayTotals = { margin: 0, churned: 0, startedLeaving: 0, prepaid: 0, lifeEvents: 0, missedPayments: 0 };
  readonly eventsByType = new Float64Array(TYPE_NAMES.length);
  readonly personasAtStart: number[];

  constructor(readonly scenario: Scenario) {
    this.pop = Population.create(scenario);
    this.behaviour = new Behaviour(this.pop, this.buffer, scenario.balanceSnapshotEveryDays);
    this.start = Date.parse(`${scenario.startDate}T00:00:00Z`);
    this.market = { baseRate: scenario.baseRate, rateDelta: 0, dayOfMonth: 1, weekday: 0, inflation: scenario.inflation, priceLevel: 1, equityShock: 0 };
    this.personasAtStart = this.personaCounts();
  }

  /** The current simulated day and its date. */
  get today(): { day: number; date: string } {
    return { day: this.day, date: this.date };
  }

  /** Opens day d: calendar, market events, drift. Call before present() and live(). */
  beginDay(d: number): void {
    this.day = d;
    this.buffer.clear();
    const t = this.start + d * DAY_MS;
    const date = new Date(t);
    this.date = date.toISOString().slice(0, 10);
    this.market.dayOfMonth = date.getUTCDate();
    this.market.weekday = date.getUTCDay();
    this.todaysMarket = [];
    this.scenario.marketEvents.forEach((m, k) => {
      if (m.day !== d) return;
      const previous = m.previousValue ?? (m.kind === 'base_rate_change' ? this.market.baseRate : m.kind === 'inflation_release' ? this.market.inflation : undefined);
      if (m.kind === 'base_rate_change') {
        this.rateChanges.push({ day: d, delta: m.value - (previous ?? m.value) });
        this.market.baseRate = m.value;
      } else if (m.kind === 'inflation_release') this.market.inflation = m.value;
      else this.applyShock(d, m.value);
      const payload: Extract<BankEvent, { type: 'market_event' }>['payload'] = { kind: m.kind, region: 'GB', value: m.value };
      if (previous !== undefined) payload.previousValue = previous;
      payload.unit = 'percent';
      if (m.description !== undefined) payload.description = m.description;
      this.todaysMarket.push({ eventId: `tw-${this.scenario.seed}-market-${k}`, customerId: '*', occurredAt: `${this.date}T12:00:00Z`, schemaVersion: 1, type: 'market_event', payload });
    });
    this.rateChanges = this.rateChanges.filter((r) => d - r.day < RATE_MEMORY_DAYS);
    this.market.rateDelta = this.rateChanges.reduce((s, r) => s + r.delta, 0);
    this.shocks = this.shocks.filter((x) => d - x.day < RATE_MEMORY_DAYS);
    this.market.equityShock = this.shocks.reduce((s, x) => s + x.move, 0);
    // Prices compound daily at the inflation in force (day 0 is the base).
    if (d > 0) this.market.priceLevel *= Math.pow(1 + this.market.inflation / 100, 1 / 365);
    this.scenario.drift.forEach((drift, k) => {
      if (drift.day === d) this.applyDrift(drift.personaMix, drift.share, k);
    });
  }

  /** Whether customer i is still a customer. */
  isActive(i: number): boolean {
    return this.pop.churnDay[i]! < 0;
  }

  /** Shows an offer to customer i today (closed loop). */
  present(i: number, family: number, channel: number): OfferOutcome {
    return presentOffer(this.pop, this.buffer, i, family, channel, this.day, this.market);
  }

  /** Runs today's behaviour for every customer and returns the day sorted in event time. */
  finishDay(): Day {
    const daysInMonth = new Date(Date.UTC(Number(this.date.slice(0, 4)), Number(this.date.slice(5, 7)), 0)).getUTCDate();
    const b = this.behaviour;
    b.totals = { margin: 0, churned: 0, startedLeaving: 0, prepaid: 0, lifeEvents: 0, missedPayments: 0 };
    for (let i = 0; i < this.pop.n; i++) b.live(i, this.day, this.market, daysInMonth);
    for (const key of Object.keys(b.totals) as (keyof DayTotals)[]) this.totals[key] += b.totals[key];
    const buf = this.buffer;
    for (let k = 0; k < buf.length; k++) this.eventsByType[buf.type[k]!]!++;
    return { day: this.day, date: this.date, buffer: buf, order: buf.sorted(), market: this.todaysMarket };
  }

  /** The day's events as objects, in event-time order (market events at noon). */
  events(day: Day): BankEvent[] {
    const out: BankEvent[] = [];
    const noon = 12 * 3600;
    let marketDone = day.market.length === 0;
    for (let j = 0; j < day.order.length; j++) {
      const k = day.order[j]!;
      if (!marketDone && day.buffer.sec[k]! >= noon) {
        out.push(...day.market);
        marketDone = true;
      }
      out.push(encodeEvent(day.buffer, k, this.scenario.seed, day.date));
    }
    if (!marketDone) out.push(...day.market);
    return out;
  }

  /** The hidden truth about customer i today, as one ground-truth row. */
  truthRow(i: number): string {
    const pop = this.pop;
    const r = (x: number) => Number(x.toPrecision(4));
    return JSON.stringify({
      day: this.day,
      date: this.date,
      customerId: Population.id(i),
      persona: PERSONAS[pop.primary[i]!],
      secondPersona: PERSONAS[pop.secondary[i]!],
      personaWeight: r(pop.weight[i]!),
      stress: STRESS_STATES[pop.stress[i]!],
      engagement: r(pop.engagement[i]!),
      churnHazard: r(churnHazard(pop, i, this.day, this.market)),
      prepaymentHazard: r(prepaymentHazard(pop, i, this.day, this.market)),
      leaving: pop.leaveDay[i]! >= 0,
      churned: pop.churnDay[i]! >= 0,
      // Acceptance probability of each action family on the customer's preferred channel
      // today (the full family × channel matrix is in the closed loop's TruthView).
      acceptProbability: Object.fromEntries(ACTION_FAMILIES.map((f, k) => [f, r(acceptProbability(pop, i, k, pop.preferred[i]!, this.day, this.market))])),
      unsuitable: ACTION_FAMILIES.filter((_, k) => !suitable(pop, i, k)),
    });
  }

  /** Counts of customers by main persona. */
  personaCounts(): number[] {
    const counts = PERSONAS.map(() => 0);
    for (let i = 0; i < this.pop.n; i++) counts[this.pop.primary[i]!]!++;
    return counts;
  }

  /** An equity-market move of `move` percent: invested balances are revalued the same day. */
  private applyShock(d: number, move: number): void {
    this.shocks.push({ day: d, move });
    const factor = Math.max(0, 1 + move / 100);
    const invested = this.pop.invested;
    for (let i = 0; i < this.pop.n; i++) if (invested[i]! > 0) invested[i] = Math.round(invested[i]! * factor);
  }

  private applyDrift(mix: Scenario['personaMix'], share: number, k: number): void {
    const rng = mulberry32(deriveSeed(this.scenario.seed, STREAM.drift * 1000 + k));
    const c = cdf(Array.from(mixVector(mix)));
    for (let i = 0; i < this.pop.n; i++) {
      const u = rng.next();
      const v = rng.next();
      if (u < share) this.pop.primary[i] = drawIndex(c, v);
    }
  }
}
