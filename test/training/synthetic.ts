import type { BankEvent } from '../../src/core/events.js';
import { mulberry32, type Rng } from '../../src/core/random.js';
import type { EventLog } from '../../src/store/eventLog.js';

/**
 * A small synthetic bank with a known truth, fast enough for unit tests: each customer
 * has a hidden engagement e in [0, 1] that drives logins and card use; offers of two
 * families are shown at random and accepted with known probabilities; low engagement
 * raises the daily hazard of closing the account. With `driftDay`, from that day on half
 * the customers lose engagement and the savings response reverses.
 */
export interface SyntheticBank {
  events: BankEvent[];
  /** The true acceptance probability of each shown offer, keyed `customer|dayIndex|family`. */
  truth: Map<string, number>;
  engagement: Float64Array;
  start: number;
  days: number;
}

const DAY = 86_400_000;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const poisson = (rng: Rng, mean: number) => {
  const l = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > l) {
    k++;
    p *= rng.next();
  }
  return k;
};

/** The true probability that customer with engagement e accepts an offer of the family. */
export function acceptProbability(family: string, e: number, drifted: boolean): number {
  if (family === 'savings') return sigmoid(drifted ? 0.5 - 4 * e : -3 + 4 * e);
  return sigmoid(-0.8 - 3 * e);
}

export function syntheticBank(o: { customers: number; days: number; seed: number; driftDay?: number; offerRate?: number }): SyntheticBank {
  const rng = mulberry32(o.seed);
  const start = Date.parse('2025-01-01T00:00:00Z');
  const events: BankEvent[] = [];
  const truth = new Map<string, number>();
  const engagement = new Float64Array(o.customers);
  let n = 0;
  const at = (d: number, sec: number) => new Date(start + d * DAY + sec * 1000).toISOString();
  for (let i = 0; i < o.customers; i++) {
    const id = `c${String(i).padStart(5, '0')}`;
    let e = rng.next();
    engagement[i] = e;
    const head = (d: number, sec: number) => ({ eventId: `s${o.seed}-${n++}`, customerId: id, occurredAt: at(d, sec), schemaVersion: 1 as const });
    for (let d = 0; d < o.days; d++) {
      const drifted = o.driftDay !== undefined && d >= o.driftDay;
      if (o.driftDay !== undefined && d === o.driftDay && i % 2 === 0) e *= 0.3;
      const logins = poisson(rng, 2 * e);
      for (let k = 0; k < logins; k++) events.push({ ...head(d, 3600 + k * 60), type: 'login', payload: { channel: 'mobile_app' } });
      if (rng.next() < 0.3 + 0.5 * e) events.push({ ...head(d, 40_000), type: 'card_payment', payload: { amount: { minor: -Math.round(500 + 4000 * rng.next()), currency: 'GBP' }, merchantCategoryCode: '5411', merchantCountry: 'GB' } });
      if (d % 7 === 6) events.push({ ...head(d, 86_399), type: 'balance_snapshot', payload: { accountId: `${id}-cur`, accountType: 'current', balance: { minor: Math.round(100_000 * e + 20_000 * rng.next()), currency: 'GBP' } } });
      if (rng.next() < (o.offerRate ?? 0.15)) {
        const family = rng.next() < 0.5 ? 'savings' : 'credit_card';
        const p = acceptProbability(family, e, drifted);
        truth.set(`${id}|${d}|${family}`, p);
        const decisionId = `d-${n}`;
        events.push({ ...head(d, 50_000), type: 'offer_response', payload: { decisionId, actionId: family, channel: 'push', response: 'shown' } });
        if (rng.next() < p) {
          const lag = Math.floor(rng.next() * 20);
          // Take-up on a later day counts only within 14 days: lags of 14+ days are negatives.
          if (d + lag < o.days) events.push({ ...head(d + lag, 50_100), type: 'offer_response', payload: { decisionId, actionId: family, channel: 'push', response: 'accepted' } });
        }
      }
      if (rng.next() < 0.0015 * Math.exp(3 * (0.5 - e))) {
        events.push({ ...head(d, 60_000), type: 'contact_centre', payload: { channel: 'phone', topics: ['close_account'], sentiment: 'neutral' } });
        break;
      }
    }
  }
  events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  return { events, truth, engagement, start, days: o.days };
}

/** Appends events straight to a log (the tests are about training, not about ingest). */
export async function appendAll(log: EventLog, events: readonly BankEvent[]): Promise<void> {
  for (let k = 0; k < events.length; k += 10_000) {
    await log.appendMany(events.slice(k, k + 10_000).map((e) => ({ event: e, body: JSON.stringify(e), t: Date.parse(e.occurredAt) })), 0);
  }
}
