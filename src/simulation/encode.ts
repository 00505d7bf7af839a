/**
 * Turns the day buffer's columns into events of the public event model (src/core/events.ts).
 * Keys are built in the schema's order, so an encoded event serialises exactly as the
 * parsed one does; eventIds are deterministic (`tw-<seed>-<customer>-<n>`).
 */
import type { BankEvent } from '../core/events.js';
import {
  ACCOUNT_SUFFIX, ACCOUNT_TYPES, BANKS, CONTACT_CHANNELS, COUNTRIES, COUNTRY_CURRENCY, DEPOSIT_METHODS, FEATURES, INSTRUMENTS, LOAN_OUTCOMES,
  LOAN_PRODUCTS, OFFER_RESPONSES, PAYER_PENSION, REPAYMENT_KINDS, REPAYMENT_STATUS, SCREENS, SENTIMENTS, TOPICS, TRADE_SIDES, WITHDRAWAL_METHODS, WRAPPERS,
} from './codes.js';
import { DayBuffer, T } from './dayBuffer.js';
import { ACTION_FAMILIES, OFFER_CHANNELS } from './offers.js';
import { MCC } from './personas.js';
import { Population } from './population.js';
import { LIFE } from './truth.js';

let clockTimes: string[] | undefined;
/** `Thh:mm:ssZ` for every second of the day, built once. */
export function timeOfDay(sec: number): string {
  if (!clockTimes) {
    clockTimes = new Array<string>(86_400);
    const two = (x: number) => (x < 10 ? `0${x}` : `${x}`);
    for (let s = 0; s < 86_400; s++) clockTimes[s] = `T${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}Z`;
  }
  return clockTimes[sec]!;
}

export const gbp = (minor: number) => ({ minor: minor === 0 ? 0 : minor, currency: 'GBP' });

/** The decision id the twin gives the offer shown to a customer on a day. */
export const decisionIdOf = (seed: number, customer: number, day: number) => `d-${seed}-${Population.id(customer)}-${day}`;

interface Head {
  eventId: string;
  customerId: string;
  occurredAt: string;
  schemaVersion: 1;
}

/** An account id of the customer. */
function account(customerId: string, suffix: number): string {
  return `${customerId}-${ACCOUNT_SUFFIX[suffix]!}`;
}

/** One literal in schema key order: cheaper than spreading a shared head into each event. */
function ev(head: Head, type: string, payload: object): BankEvent {
  return { eventId: head.eventId, customerId: head.customerId, occurredAt: head.occurredAt, schemaVersion: 1, type, payload } as BankEvent;
}

/** Encodes one buffered event. `date` is the day's YYYY-MM-DD. */
export function encodeEvent(buf: DayBuffer, k: number, seed: number, date: string): BankEvent {
  const i = buf.cust[k]!;
  const customerId = Population.id(i);
  const eventId = `tw-${seed}-${customerId}-${buf.seq[k]!}`;
  const occurredAt = date + timeOfDay(buf.sec[k]!);
  const head: Head = { eventId, customerId, occurredAt, schemaVersion: 1 };
  const a = buf.a[k]!;
  const b = buf.b[k]!;
  const c = buf.c[k]!;
  const amount = buf.amount[k]!;
  const amount2 = buf.amount2[k]!;
  const type = buf.type[k]!;
  switch (type) {
    case T.deposit:
      return ev(head, 'deposit', { amount: gbp(amount), accountId: account(customerId, 0), method: DEPOSIT_METHODS[a]! });
    case T.withdrawal:
      return ev(head, 'withdrawal', { amount: gbp(amount), accountId: account(customerId, 0), method: WITHDRAWAL_METHODS[a]! });
    case T.card_payment: {
      const payload: Extract<BankEvent, { type: 'card_payment' }>['payload'] = { amount: gbp(amount), accountId: account(customerId, c === 1 ? 2 : 0), merchantCategoryCode: MCC[a]!, merchantCountry: COUNTRIES[b]! };
      if (b !== 0) payload.originalAmount = { minor: -amount2, currency: COUNTRY_CURRENCY[b]! };
      payload.cardType = c === 1 ? 'credit' : 'debit';
      return ev(head, 'card_payment', payload);
    }
    case T.transfer_in:
      return ev(head, 'transfer_in', { amount: gbp(amount), accountId: account(customerId, 0), counterpartyBank: BANKS[a]!, ownAccount: b === 1 });
    case T.transfer_out:
      return ev(head, 'transfer_out', { amount: gbp(amount), accountId: account(customerId, 0), counterpartyBank: BANKS[a]!, ownAccount: b === 1 });
    case T.salary:
      return ev(head, 'salary', { amount: gbp(amount), accountId: account(customerId, 0), employerId: a === PAYER_PENSION ? 'state-pension' : `emp-${b}` });
    case T.loan_application:
      return ev(head, 'loan_application', { loanId: account(customerId, 3), product: LOAN_PRODUCTS[a]!, requested: gbp(amount), termMonths: c, outcome: LOAN_OUTCOMES[b]! });
    case T.loan_repayment:
      return ev(head, 'loan_repayment', { loanId: account(customerId, a === 0 ? 3 : 4), amount: gbp(amount), kind: REPAYMENT_KINDS[b]!, status: REPAYMENT_STATUS[c]!, remainingBalance: gbp(amount2) });
    case T.investment_trade:
      return ev(head, 'investment_trade', { side: TRADE_SIDES[a]!, amount: gbp(amount), instrumentType: INSTRUMENTS[b]!, wrapper: WRAPPERS[c]! });
    case T.balance_snapshot:
      return ev(head, 'balance_snapshot', { accountId: account(customerId, a), accountType: ACCOUNT_TYPES[a]!, balance: gbp(amount) });
    case T.login:
      return ev(head, 'login', { channel: a === 1 ? 'web' : 'mobile_app' });
    case T.screen_view:
      return ev(head, 'screen_view', { channel: a === 1 ? 'web' : 'mobile_app', screen: SCREENS[b]! });
    case T.feature_use:
      return ev(head, 'feature_use', { channel: a === 1 ? 'web' : 'mobile_app', feature: FEATURES[b]! });
    case T.email_open:
    case T.email_click:
    case T.push_open: {
      const payload: { campaignId?: string; decisionId?: string } = {};
      if (a >= 0) payload.campaignId = `weekly-${a}`;
      if (b >= 0) payload.decisionId = decisionIdOf(seed, i, b);
      const name = type === T.email_open ? 'email_open' : type === T.email_click ? 'email_click' : 'push_open';
      return ev(head, name, payload);
    }
    case T.contact_centre:
      return ev(head, 'contact_centre', { channel: CONTACT_CHANNELS[a]!, topics: [TOPICS[b]!], durationSeconds: amount, sentiment: SENTIMENTS[c]! });
    case T.life_event:
      return ev(head, 'life_event', { kind: LIFE[a]!, source: 'declared' });
    case T.offer_response:
      return ev(head, 'offer_response', { decisionId: decisionIdOf(seed, i, amount), actionId: ACTION_FAMILIES[a]!, channel: OFFER_CHANNELS[b]!, response: OFFER_RESPONSES[c]! });
    case T.consent_change:
      return ev(head, 'consent_change', { purpose: 'marketing', granted: b === 1, source: 'app' });
    default:
      throw new Error(`day buffer holds an unknown event code ${type}`);
  }
}
