/**
 * Reference policies for the closed loop: `random` (the floor), `rules` (a hand-written
 * bank rulebook over what the engine can see), `oracle` / `oracle-value` (read the
 * hidden truth: the ceilings on acceptance and on value) and `no-contact` (the floor of doing nothing). A strategy worth deploying should land between rules and oracle.
 */
import type { CustomerView, NamedPolicy, Offer, PolicyContext, TruthView } from './closedLoop.js';
import { acceptedValue } from './yardstick.js';
import { ACTION_FAMILIES, consentAllows, OFFER_CHANNELS, type ActionFamily, type OfferChannel } from './offers.js';

const HOLDING_OF: Partial<Record<ActionFamily, string>> = { credit_card: 'credit_card', personal_loan: 'personal_loan', savings: 'savings', investment: 'isa', pension: 'pension' };

/** Families the customer can be offered at all: the consents the engine asks for (marketing and personalised offers), not already held. */
export function eligibleFamilies(view: CustomerView): ActionFamily[] {
  return ACTION_FAMILIES.filter((f) => {
    if (!consentAllows(view.consents, f, view.recent.complaints)) return false;
    const held = HOLDING_OF[f];
    if (held && view.holdings.includes(held)) return false;
    if (f === 'refinancing' && !view.holdings.includes('mortgage') && !view.holdings.includes('personal_loan')) return false;
    return true;
  });
}

/** Contacts about one customer in fifteen per day with a random eligible action on a random channel. */
export const randomPolicy: NamedPolicy = {
  name: 'random',
  decide(view: CustomerView, ctx: PolicyContext): Offer | null {
    if (ctx.rng.next() >= 1 / 15) return null;
    const families = eligibleFamilies(view);
    if (families.length === 0) return null;
    const family = families[Math.floor(ctx.rng.next() * families.length)]!;
    const channel = OFFER_CHANNELS[Math.floor(ctx.rng.next() * OFFER_CHANNELS.length)]!;
    return { family, channel };
  },
};

const preferred = (view: CustomerView, fallback: OfferChannel): OfferChannel => {
  const c = view.customer.preferredChannel;
  return c && (OFFER_CHANNELS as readonly string[]).includes(c) ? (c as OfferChannel) : fallback;
};

/**
 * A bank's rulebook: care first (missed payments → guidance), then keep customers who are
 * moving money out, then products that fit the visible balance and spend. At most one
 * contact every three weeks, on the customer's preferred channel.
 */
export const rulesPolicy: NamedPolicy = {
  name: 'rules',
  decide(view: CustomerView): Offer | null {
    if (view.daysSinceContact < 21) return null;
    const can = new Set(eligibleFamilies(view));
    const b = view.balances;
    const r = view.recent;
    if ((r.missedPayments > 0.5 || b.current < -200) && can.has('guidance')) return { family: 'guidance', channel: preferred(view, 'in_app') };
    if ((r.transfersToCompetitors > 500 || r.complaints > 0.5) && can.has('retention')) return { family: 'retention', channel: 'call_centre' };
    if (b.current + b.savings > 10_000 && can.has('investment') && (view.customer.riskTolerance === 'medium' || view.customer.riskTolerance === 'high')) return { family: 'investment', channel: preferred(view, 'email') };
    if (b.current > 5_000 && can.has('savings')) return { family: 'savings', channel: preferred(view, 'in_app') };
    if (r.spendAbroad > 200 && can.has('credit_card')) return { family: 'credit_card', channel: preferred(view, 'push') };
    if (view.baseRateChange < 0 && can.has('refinancing')) return { family: 'refinancing', channel: preferred(view, 'email') };
    return null;
  },
};

/**
 * What an oracle offers the customer today: the suitable family and channel with the highest
 * expected value (true take-up chance × the yardstick's value of a take-up) among those taken up
 * with at least `minProbability`, and (when given) that `allows` lets through; null when none.
 */
export function oracleChoice(view: CustomerView, truth: TruthView, minProbability: number, allows?: (family: ActionFamily, channel: OfferChannel) => boolean): Offer | null {
  let best: Offer | null = null;
  let bestValue = 0;
  for (const family of eligibleFamilies(view)) {
    if (!truth.suitable(family)) continue;
    for (const channel of OFFER_CHANNELS) {
      const p = truth.acceptProbability(family, channel);
      const ev = p * acceptedValue(family, truth.leaving);
      if (p >= minProbability && ev > bestValue && (!allows || allows(family, channel))) {
        bestValue = ev;
        best = { family, channel };
      }
    }
  }
  return best;
}

/**
 * A policy that knows each customer's true propensities: at most weekly, it offers the
 * suitable action and channel with the highest expected value among those the customer
 * accepts with at least `minProbability` (oracleChoice).
 */
export function oracle(name: string, minProbability: number): NamedPolicy {
  return {
    name,
    seesTruth: true,
    decide(view: CustomerView, ctx: PolicyContext): Offer | null {
      const truth = ctx.truth;
      if (!truth || view.daysSinceContact < 7) return null;
      return oracleChoice(view, truth, minProbability);
    },
  };
}

/** The value oracle's bar: it offers what is taken up at least this often. */
export const VALUE_ORACLE_MIN_PROBABILITY = 0.3;

/** The acceptance ceiling: only offers the customer is more likely than not to take. */
export const oraclePolicy = oracle('oracle', 0.5);
/** The value ceiling: a lower bar (30%) trades acceptance rate for revenue and CLV. */
export const oracleValuePolicy = oracle('oracle-value', VALUE_ORACLE_MIN_PROBABILITY);

/** The do-nothing baseline: never contacts anyone (what churn and margin are without offers). */
export const noContactPolicy: NamedPolicy = {
  name: 'no-contact',
  decide(): Offer | null {
    return null;
  },
};

export const REFERENCE_POLICIES: Record<string, NamedPolicy> = { random: randomPolicy, rules: rulesPolicy, oracle: oraclePolicy, 'oracle-value': oracleValuePolicy, 'no-contact': noContactPolicy };
