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

/** Encodes one buffered event. `date` is the day's YYYY-MM-DD. */
export function encodeEvent(buf: DayBuffer, k: number, seed: number, date: string): BankEvent {
  const i = buf.cust[k]!;
  const customerId = Population.id(i);
  const eventId = `tw-${seed}-${customerId}-${buf.seq[k]!}`;
  const occurredAt = date + timeOfDay(buf.sec[k]!);
  // Plain literals in schema key order (faster than spreading a shared head).
  const head = { eventId, customerId, occurredAt, schemaVersion: 1 as const };
  const a = buf.a[k]!;
  const b = buf.b[k]!;
  const c = buf.c[k]!;
  const amount = buf.amount[k]!;
  const amount2 = buf.amount2[k]!;
  const account = (suffix: number) => `${customerId}-${ACCOUNT_SUFFIX[suffix]!}`;
  const type = buf.type[k]!;
  switch (type) {
    case T.deposit:
      return { ...head, type: 'deposit', payload: { amount: gbp(amount), accountId: account(0), method: DEPOSIT_METHODS[a]! } };
    case T.withdrawal:
      return { ...head, type: 'withdrawal', payload: { amount: gbp(amount), accountId: account(0), method: WITHDRAWAL_METHODS[a]! } };
    case T.card_payment: {
      const payload: Extract<BankEvent, { type: 'card_payment' }>['payload'] = { amount: gbp(amount), accountId: account(c === 1 ? 2 : 0), merchantCategoryCode: MCC[a]!, merchantCountry: COUNTRIES[b]! };
      if (b !== 0) payload.originalAmount = { minor: -amount2, currency: COUNTRY_CURRENCY[b]! };
      payload.cardType = c === 1 ? 'credit' : 'debit';
      return { ...head, type: 'card_payment', payload };
    }
    case T.transfer_in:
      return { ...head, type: 'transfer_in', payload: { amount: gbp(amount), accountId: account(0), counterpartyBank: BANKS[a]!, ownAccount: b === 1 } };
    case T.transfer_out:
      return { ...head, type: 'transfer_out', payload: { amount: gbp(amount), accountId: account(0), counterpartyBank: BANKS[a]!, ownAccount: b === 1 } };
    case T.salary:
      return { ...head, type: 'salary', payload: { amount: gbp(amount), accountId: account(0), employerId: a === PAYER_PENSION ? 'state-pension' : `emp-${b}` } };
    case T.loan_application:
      return { ...head, type: 'loan_application', payload: { loanId: account(3), product: LOAN_PRODUCTS[a]!, requested: gbp(amount), termMonths: c, outcome: LOAN_OUTCOMES[b]! } };
    case T.loan_repayment:
      return {
        ...head,
        type: 'loan_repayment',
        payload: { loanId: account(a === 0 ? 3 : 4), amount: gbp(amount), kind: REPAYMENT_KINDS[b]!, status: REPAYMENT_STATUS[c]!, remainingBalance: gbp(amount2) },
      };
    case T.investment_trade:
      return { ...head, type: 'investment_trade', payload: { side: TRADE_SIDES[a]!, amount: gbp(amount), instrumentType: INSTRUMENTS[b]!, wrapper: WRAPPERS[c]! } };
    case T.balance_snapshot:
      return { ...head, type: 'balance_snapshot', payload: { accountId: account(a), accountType: ACCOUNT_TYPES[a]!, balance: gbp(amount) } };
    case T.login:
      return { ...head, type: 'login', payload: { channel: a === 1 ? 'web' : 'mobile_app' } };
    case T.screen_view:
      return { ...head, type: 'screen_view', payload: { channel: a === 1 ? 'web' : 'mobile_app', screen: SCREENS[b]! } };
    case T.feature_use:
      return { ...head, type: 'feature_use', payload: { channel: a === 1 ? 'web' : 'mobile_app', feature: FEATURES[b]! } };
    case T.email_open:
    case T.email_click:
    case T.push_open: {
      const payload: { campaignId?: string; decisionId?: string } = {};
      if (a >= 0) payload.campaignId = `weekly-${a}`;
      if (b >= 0) payload.decisionId = decisionIdOf(seed, i, b);
      const name = type === T.email_open ? 'email_open' : type === T.email_click ? 'email_click' : 'push_open';
      return { ...head, type: name, payload } as BankEvent;
    }
    case T.contact_centre:
      return { ...head, type: 'contact_centre', payload: { channel: CONTACT_CHANNELS[a]!, topics: [TOPICS[b]!], durationSeconds: amount, sentiment: SENTIMENTS[c]! } };
    case T.life_event:
      return { ...head, type: 'life_event', payload: { kind: LIFE[a]!, source: 'declared' } };
    case T.offer_response:
      return { ...head, type: 'offer_response', payload: { decisionId: decisionIdOf(seed, i, amount), actionId: ACTION_FAMILIES[a]!, channel: OFFER_CHANNELS[b]!, response: OFFER_RESPONSES[c]! } };
    case T.consent_change:
      return { ...head, type: 'consent_change', payload: { purpose: 'marketing', granted: b === 1, source: 'app' } };
    default:
      throw new Error(`day buffer holds an unknown event code ${type}`);
  }
}
