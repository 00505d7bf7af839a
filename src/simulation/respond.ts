/**
 * How a simulated customer answers an offer: the response is drawn from the ground-truth
 * propensity on the customer's own response stream, the offer's effect changes their
 * state, and accepted unsuitable offers are counted as harm.
 */
import { CHANNELS } from '../core/channels.js';
import { RESPONSE } from './codes.js';
import { DayBuffer, T } from './dayBuffer.js';
import { ACCEPT_REVENUE, CHANNEL, FAMILY, FAMILY_HOLDING } from './offers.js';
import type { Population } from './population.js';
import { Stream } from './stream.js';
import { acceptProbability, suitable, type MarketState } from './truth.js';

export interface OfferOutcome {
  probability: number;
  accepted: boolean;
  suitable: boolean;
  /** Revenue booked (GBP) if accepted. */
  revenue: number;
}

/** Channels the customer can click in (core/channels.ts `interactive`), by code. */
const DIGITAL = new Set(CHANNELS.flatMap((c, k) => (c.interactive ? [k] : [])));

/** Shows one offer to customer i on day d and plays out the response. */
export function presentOffer(pop: Population, buf: DayBuffer, i: number, family: number, channel: number, d: number, market: MarketState): OfferOutcome {
  const rng = new Stream();
  rng.s = pop.responseState[i]!;
  const probability = acceptProbability(pop, i, family, channel, d, market);
  const fit = suitable(pop, i, family);
  const accepted = rng.next() < probability;
  const emit = (sec: number, type: number, a = 0, b = 0, c = 0) => buf.push(Math.min(sec, 86_399), i, type, pop.eventCounter[i]!++, a, b, c, d);
  let sec = 9 * 3600 + Math.floor(rng.next() * 9 * 3600);
  emit(sec, T.offer_response, family, channel, RESPONSE.shown);
  const engaged = accepted || rng.next() < 0.3;
  if (engaged && channel === CHANNEL.email) emit((sec += 300 + Math.floor(rng.next() * 3600)), T.email_open, -1, d);
  if (engaged && channel === CHANNEL.push) emit((sec += 60 + Math.floor(rng.next() * 600)), T.push_open, -1, d);
  if (engaged && DIGITAL.has(channel)) emit((sec += 30 + Math.floor(rng.next() * 300)), T.offer_response, family, channel, RESPONSE.clicked);
  if (accepted) emit((sec += 60 + Math.floor(rng.next() * 900)), T.offer_response, family, channel, RESPONSE.accepted);
  else if (engaged || rng.next() < 0.3) emit((sec += 60 + Math.floor(rng.next() * 900)), T.offer_response, family, channel, RESPONSE.declined);
  pop.fatigue[i] = pop.fatigue[i]! + 1;
  pop.lastContact[i] = d;
  if (accepted) applyAcceptance(pop, buf, i, family, d, Math.min(sec + 600, 86_399), rng);
  pop.responseState[i] = rng.s;
  return { probability, accepted, suitable: fit, revenue: accepted ? ACCEPT_REVENUE[family]! : 0 };
}

/** What taking up the offer changes: holdings, balances and the hidden state. */
function applyAcceptance(pop: Population, buf: DayBuffer, i: number, family: number, d: number, sec: number, rng: Stream): void {
  const emit = (type: number, a = 0, b = 0, c = 0, amount = 0, amount2 = 0) => buf.push(sec, i, type, pop.eventCounter[i]!++, a, b, c, amount, amount2);
  pop.holdings[i] = pop.holdings[i]! | FAMILY_HOLDING[family]!;
  pop.engagement[i] = Math.min(1, pop.engagement[i]! + 0.05);
  switch (family) {
    case FAMILY.personal_loan: {
      const amount = Math.round((2000 + rng.next() * 13_000) / 100) * 10_000;
      const term = 12 * (1 + Math.floor(rng.next() * 5));
      emit(T.loan_application, 0, 1, term, amount);
      emit(T.transfer_in, 0, 1, 0, amount);
      pop.current[i] = pop.current[i]! + amount;
      pop.loan[i] = pop.loan[i]! + amount;
      pop.loanPay[i] = Math.round(pop.loan[i]! / term);
      break;
    }
    case FAMILY.refinancing:
      pop.refinancedUntil[i] = d + 365;
      pop.mortgagePay[i] = Math.round(pop.mortgagePay[i]! * 0.93);
      break;
    case FAMILY.savings: {
      const amount = Math.round(Math.max(pop.current[i]! - 100_000, 0) * 0.5);
      if (amount > 0) {
        emit(T.transfer_out, 0, 1, 0, -amount);
        pop.current[i] = pop.current[i]! - amount;
        pop.savings[i] = pop.savings[i]! + amount;
      }
      break;
    }
    case FAMILY.investment:
    case FAMILY.pension: {
      const pot = pop.savings[i]! > 0 ? pop.savings[i]! : Math.max(pop.current[i]!, 0);
      const amount = Math.round(pot * (family === FAMILY.investment ? 0.3 : 0.1));
      if (amount > 0) {
        emit(T.investment_trade, 0, 0, family === FAMILY.investment ? 0 : 2, -amount);
        if (pop.savings[i]! > 0) pop.savings[i] = pop.savings[i]! - amount;
        else pop.current[i] = pop.current[i]! - amount;
        pop.invested[i] = pop.invested[i]! + amount;
      }
      break;
    }
    case FAMILY.retention:
      // A retention offer taken up usually stops a run-down in progress.
      if (pop.leaveDay[i]! >= 0 && rng.next() < 0.85) pop.leaveDay[i] = -1;
      pop.retainedUntil[i] = d + 180;
      pop.engagement[i] = Math.min(1, pop.engagement[i]! + 0.15);
      break;
    case FAMILY.guidance:
      pop.guidedUntil[i] = d + 90;
      break;
    default:
      break;
  }
}
