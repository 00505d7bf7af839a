/**
 * The hidden rules of the twin: churn and prepayment hazards, the financial-stress chain
 * and each customer's propensity to accept each offer on each channel. The engine never
 * sees these; the ground-truth file and the `oracle` policy do.
 */
import { CHANNEL_AFFINITY, FAMILY_AFFINITY, P } from './personas.js';
import { FAMILY, HOLD, IS_MARKETING } from './offers.js';
import type { Population } from './population.js';

/** Market conditions every customer shares on a day. */
export interface MarketState {
  baseRate: number;
  /** Base-rate change over the last 120 days, in percentage points (0 when none). */
  rateDelta: number;
  /** Day of the month and weekday (0 = Sunday) of the simulated day. */
  dayOfMonth: number;
  weekday: number;
  /** Annual consumer-price inflation in force, in percent (0: prices held constant). */
  inflation: number;
  /** Prices relative to the start (1 on day 0): nominal spending and bills scale with it; pay does not. */
  priceLevel: number;
  /** Sum of equity-market moves (`market_shock`, percent) over the last 120 days (0 when none). */
  equityShock: number;
}

/** The inflation the bank's customers are used to (the central bank's target), in percent. */
export const INFLATION_TARGET = 2;
/** Inflation above the target: what strains budgets (0 at or below the target). */
export const excessInflation = (market: MarketState): number => Math.max(0, market.inflation - INFLATION_TARGET);

const ST_HEALTHY = 0;
const ST_DISTRESSED = 2;
const VULN_FINANCIAL_DIFFICULTY = 1 << 5;
const VULN_LOW_RESILIENCE = 1 << 2;
export const LIFE = ['new_job', 'job_loss', 'house_move', 'marriage', 'divorce', 'child', 'retirement', 'bereavement', 'graduation', 'illness'] as const;
export const LIFE_KIND = Object.fromEntries(LIFE.map((k, j) => [k, j + 1])) as Record<(typeof LIFE)[number], number>;

/** True when a life event of the kind happened within `days` before `day`. */
export function recentLife(pop: Population, i: number, kind: number, day: number, days: number): boolean {
  return pop.lifeKind[i] === kind && day - pop.lifeDay[i]! <= days;
}

/** The daily hazard of starting to leave the bank (a run-down then follows). */
export function churnHazard(pop: Population, i: number, day: number, market: MarketState): number {
  let x = 2.2 * (0.6 - pop.engagement[i]!) + 0.55 * pop.stress[i]!;
  const fatigue = pop.fatigue[i]!;
  if (fatigue > 2.5) x += 0.35 * (fatigue - 2.5);
  // Savers are rate-sensitive: a rise the bank does not pass on sends them shopping.
  if (market.rateDelta > 0 && pop.savings[i]! + pop.current[i]! > 1_000_000) x += 1.2 * market.rateDelta;
  if (pop.complaints90[i]! > 0.5) x += 0.4;
  let h = pop.mix(i, P.churnDaily) * Math.exp(x);
  if (pop.retainedUntil[i]! >= day) h *= 0.3;
  return Math.min(h, 0.2);
}

/** The daily hazard of repaying a loan or mortgage early (refinancing elsewhere or settling). */
export function prepaymentHazard(pop: Population, i: number, day: number, market: MarketState): number {
  const h = pop.holdings[i]!;
  if ((h & (HOLD.personal_loan | HOLD.mortgage)) === 0) return 0;
  let x = 0;
  if (market.rateDelta < 0) x += 2.0 * -market.rateDelta;
  if (recentLife(pop, i, LIFE_KIND.house_move, day, 90)) x += 1.5;
  if (pop.stress[i]! > ST_HEALTHY) x -= 1.2;
  if (pop.current[i]! + pop.savings[i]! > 2 * pop.loan[i]! && pop.loan[i]! > 0) x += 0.8;
  let hz = 0.00035 * Math.exp(x);
  if (pop.refinancedUntil[i]! >= day) hz *= 0.15;
  return Math.min(hz, 0.1);
}

/** The stress chain's probabilities of moving up and down one state today. */
export function stressMoves(pop: Population, i: number, day: number, market: MarketState): { up: number; down: number } {
  let up = pop.mix(i, P.stressUp);
  let down = pop.mix(i, P.stressDown);
  // Borrowers feel a rate rise; job loss and illness push towards distress.
  if (market.rateDelta > 0 && (pop.holdings[i]! & (HOLD.mortgage | HOLD.personal_loan | HOLD.overdraft)) !== 0) up *= 1 + 1.5 * market.rateDelta;
  if (recentLife(pop, i, LIFE_KIND.job_loss, day, 120) || recentLife(pop, i, LIFE_KIND.illness, day, 60)) up *= 6;
  // Prices rising faster than pay strain every budget (on top of the spending itself rising).
  up *= 1 + 0.3 * excessInflation(market);
  if (pop.guidedUntil[i]! >= day) down *= 3;
  return { up, down };
}

/** Whether the family is suitable for the customer now (accepting an unsuitable offer is harm). */
export function suitable(pop: Population, i: number, family: number): boolean {
  const stress = pop.stress[i]!;
  const vuln = pop.vulnerability[i]!;
  const h = pop.holdings[i]!;
  switch (family) {
    case FAMILY.credit_card:
      return stress < ST_DISTRESSED && (vuln & VULN_FINANCIAL_DIFFICULTY) === 0 && pop.income[i]! >= 1200 && (h & HOLD.credit_card) === 0;
    case FAMILY.personal_loan:
      return stress === ST_HEALTHY && (vuln & (VULN_FINANCIAL_DIFFICULTY | VULN_LOW_RESILIENCE)) === 0 && (h & HOLD.personal_loan) === 0;
    case FAMILY.refinancing:
      return (h & (HOLD.mortgage | HOLD.personal_loan)) !== 0 && stress < ST_DISTRESSED;
    case FAMILY.savings:
      return stress < ST_DISTRESSED && pop.current[i]! > 0;
    case FAMILY.investment:
      return pop.risk[i]! >= 2 && stress === ST_HEALTHY && pop.current[i]! + pop.savings[i]! >= 300_000 && !(pop.sophistication[i] === 0 && vuln !== 0);
    case FAMILY.pension:
      return pop.age[i]! < 66 && pop.retired[i] === 0;
    default:
      return true; // retention, guidance, service messages
  }
}

const BASE = [-3.4, -3.8, -3.6, -2.9, -3.5, -3.7, -3.0, -2.4, -1.4];
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The probability that the customer accepts an offer of the family on the channel today:
 * persona affinities, the customer's position, timing (salary day, life events), fatigue
 * from repeated contact and consent. Suitability does not enter: unsuitable offers can be
 * accepted, and that is the harm outcome monitoring must catch.
 */
export function acceptProbability(pop: Population, i: number, family: number, channel: number, day: number, market: MarketState): number {
  const h = pop.holdings[i]!;
  const idle = pop.current[i]! + pop.savings[i]!;
  const stress = pop.stress[i]!;
  let x = BASE[family]! + pop.mix(i, FAMILY_AFFINITY[family]!) + pop.mix(i, CHANNEL_AFFINITY[channel]!);
  if (pop.preferred[i] === channel) x += 0.6;
  switch (family) {
    case FAMILY.credit_card:
      if (h & HOLD.credit_card) x -= 3;
      x += Math.min(1.5, pop.abroad30[i]! / 20_000) + 0.5 * stress;
      break;
    case FAMILY.personal_loan:
      if (h & HOLD.personal_loan) x -= 2.5;
      x += 0.7 * stress;
      // Borrowing follows the price of credit: cuts make it cheaper, rises dearer.
      x -= 0.5 * market.rateDelta;
      if (recentLife(pop, i, LIFE_KIND.house_move, day, 60) || recentLife(pop, i, LIFE_KIND.child, day, 90)) x += 1;
      break;
    case FAMILY.refinancing:
      if ((h & (HOLD.mortgage | HOLD.personal_loan)) === 0) x -= 4;
      if (market.rateDelta < 0) x += 1.5 * -market.rateDelta + 0.5;
      if (recentLife(pop, i, LIFE_KIND.house_move, day, 90)) x += 1.2;
      if (pop.refinancedUntil[i]! >= day) x -= 3;
      break;
    case FAMILY.savings:
      x += idle > 1_000_000 ? 1.6 : idle > 300_000 ? 0.7 : -0.5;
      if (market.rateDelta > 0) x += 0.5;
      // A negative real rate makes saving a loss; a fall in shares sends money to safety.
      if (market.inflation > market.baseRate) x -= 0.4 * (market.inflation - market.baseRate);
      if (market.equityShock < 0) x += 0.02 * -market.equityShock;
      if (day - pop.lastSalaryDay[i]! <= 2) x += 0.5;
      if (recentLife(pop, i, LIFE_KIND.child, day, 120)) x += 0.6;
      x -= 0.9 * stress;
      break;
    case FAMILY.investment:
      x += idle > 1_000_000 ? 1.4 : idle > 300_000 ? 0.4 : -1.2;
      x += [-1.6, -0.4, 0.3, 0.8][pop.risk[i]!]! + 0.4 * pop.sophistication[i]!;
      if (h & HOLD.isa) x -= 0.6;
      if (recentLife(pop, i, LIFE_KIND.retirement, day, 180)) x += 0.8;
      // After a fall investors hold back (a -25% shock: -1 on the log-odds); after a rise they buy.
      x += 0.04 * Math.max(-50, Math.min(50, market.equityShock));
      x -= stress;
      break;
    case FAMILY.pension:
      if (h & HOLD.pension) x -= 1.5;
      if (pop.age[i]! >= 66 || pop.retired[i]) x -= 2;
      if (recentLife(pop, i, LIFE_KIND.new_job, day, 90)) x += 1.3;
      break;
    case FAMILY.retention:
      x += pop.leaveDay[i]! >= 0 ? 2.8 : -1.5;
      x += 1.2 * (0.6 - pop.engagement[i]!);
      break;
    case FAMILY.guidance:
      x += 1.1 * stress + (pop.vulnerability[i] !== 0 ? 0.4 : 0);
      break;
    default:
      break;
  }
  if (market.weekday === 0 || market.weekday === 6) x -= 0.2;
  x -= 0.45 * pop.fatigue[i]!;
  if (IS_MARKETING[family] && (pop.consents[i]! & 1) === 0) x -= 1.5;
  const m = pop.responseMultiplier(i, family);
  return m === 1 ? sigmoid(x) : Math.min(0.99, sigmoid(x) * m);
}
