/**
 * The fast path to JSONL: one buffered event straight to its JSON text, with no object in
 * between. It must equal JSON.stringify(encodeEvent(...)) byte for byte; the test suite
 * checks that over whole simulated days.
 */
import {
  ACCOUNT_SUFFIX, ACCOUNT_TYPES, BANKS, CONTACT_CHANNELS, COUNTRIES, COUNTRY_CURRENCY, DEPOSIT_METHODS, FEATURES, INSTRUMENTS, LOAN_OUTCOMES,
  LOAN_PRODUCTS, OFFER_RESPONSES, PAYER_PENSION, REPAYMENT_KINDS, REPAYMENT_STATUS, SCREENS, SENTIMENTS, TOPICS, TRADE_SIDES, WITHDRAWAL_METHODS, WRAPPERS,
} from './codes.js';
import { DayBuffer, T, TYPE_NAMES } from './dayBuffer.js';
import { decisionIdOf, timeOfDay } from './encode.js';
import { ACTION_FAMILIES, OFFER_CHANNELS } from './offers.js';
import { MCC } from './personas.js';
import { Population } from './population.js';
import { LIFE } from './truth.js';

// Per-customer fragments, cached in dense arrays (extended in order, so they stay packed):
// formatting ids is a measurable share of encoding time.
const ids: string[] = [];
const heads: string[] = [];
const middles: string[] = [];
let headSeed = -1;

function ensureCustomer(i: number, seed: number): void {
  if (seed !== headSeed) {
    heads.length = 0;
    headSeed = seed;
  }
  for (let j = ids.length; j <= i; j++) {
    const id = Population.id(j);
    ids.push(id);
    middles.push(`","customerId":"${id}","occurredAt":"`);
  }
  for (let j = heads.length; j <= i; j++) heads.push(`{"eventId":"tw-${seed}-${ids[j]!}-`);
}

/** `","schemaVersion":1,"type":"<type>","payload":{` per type. */
const TAILS = TYPE_NAMES.map((t) => `","schemaVersion":1,"type":"${t}","payload":{`);

function acct(cid: string, suffix: number): string {
  return `"${cid}-${ACCOUNT_SUFFIX[suffix]!}"`;
}

function money(minor: number, currency: string): string {
  return `{"minor":${minor === 0 ? 0 : minor},"currency":"${currency}"}`;
}

function digital(a: number): string {
  return a === 1 ? '"web"' : '"mobile_app"';
}


/** One buffered event as a JSON line (no newline). */
export function encodeJson(buf: DayBuffer, k: number, seed: number, date: string): string {
  const i = buf.cust[k]!;
  if (i >= heads.length || seed !== headSeed) ensureCustomer(i, seed);
  const cid = ids[i]!;
  const type = buf.type[k]!;
  const a = buf.a[k]!;
  const b = buf.b[k]!;
  const c = buf.c[k]!;
  const amount = buf.amount[k]!;
  const head = heads[i]! + buf.seq[k]! + middles[i]! + date + timeOfDay(buf.sec[k]!) + TAILS[type]!;
  let p: string;
  switch (type) {
    case T.deposit:
      p = `"amount":${money(amount, 'GBP')},"accountId":${acct(cid, 0)},"method":"${DEPOSIT_METHODS[a]!}"`;
      break;
    case T.withdrawal:
      p = `"amount":${money(amount, 'GBP')},"accountId":${acct(cid, 0)},"method":"${WITHDRAWAL_METHODS[a]!}"`;
      break;
    case T.card_payment:
      p = `"amount":${money(amount, 'GBP')},"accountId":${acct(cid, c === 1 ? 2 : 0)},"merchantCategoryCode":"${MCC[a]!}","merchantCountry":"${COUNTRIES[b]!}",${
        b !== 0 ? `"originalAmount":${money(-buf.amount2[k]!, COUNTRY_CURRENCY[b]!)},` : ''
      }"cardType":"${c === 1 ? 'credit' : 'debit'}"`;
      break;
    case T.transfer_in:
    case T.transfer_out:
      p = `"amount":${money(amount, 'GBP')},"accountId":${acct(cid, 0)},"counterpartyBank":"${BANKS[a]!}","ownAccount":${b === 1}`;
      break;
    case T.salary:
      p = `"amount":${money(amount, 'GBP')},"accountId":${acct(cid, 0)},"employerId":"${a === PAYER_PENSION ? 'state-pension' : `emp-${b}`}"`;
      break;
    case T.loan_application:
      p = `"loanId":${acct(cid, 3)},"product":"${LOAN_PRODUCTS[a]!}","requested":${money(amount, 'GBP')},"termMonths":${c},"outcome":"${LOAN_OUTCOMES[b]!}"`;
      break;
    case T.loan_repayment:
      p = `"loanId":${acct(cid, a === 0 ? 3 : 4)},"amount":${money(amount, 'GBP')},"kind":"${REPAYMENT_KINDS[b]!}","status":"${REPAYMENT_STATUS[c]!}","remainingBalance":${money(buf.amount2[k]!, 'GBP')}`;
      break;
    case T.investment_trade:
      p = `"side":"${TRADE_SIDES[a]!}","amount":${money(amount, 'GBP')},"instrumentType":"${INSTRUMENTS[b]!}","wrapper":"${WRAPPERS[c]!}"`;
      break;
    case T.balance_snapshot:
      p = `"accountId":${acct(cid, a)},"accountType":"${ACCOUNT_TYPES[a]!}","balance":${money(amount, 'GBP')}`;
      break;
    case T.login:
      p = `"channel":${digital(a)}`;
      break;
    case T.screen_view:
      p = `"channel":${digital(a)},"screen":"${SCREENS[b]!}"`;
      break;
    case T.feature_use:
      p = `"channel":${digital(a)},"feature":"${FEATURES[b]!}"`;
      break;
    case T.email_open:
    case T.email_click:
    case T.push_open:
      p = a >= 0 ? `"campaignId":"weekly-${a}"${b >= 0 ? `,"decisionId":"${decisionIdOf(seed, i, b)}"` : ''}` : b >= 0 ? `"decisionId":"${decisionIdOf(seed, i, b)}"` : '';
      break;
    case T.contact_centre:
      p = `"channel":"${CONTACT_CHANNELS[a]!}","topics":["${TOPICS[b]!}"],"durationSeconds":${amount},"sentiment":"${SENTIMENTS[c]!}"`;
      break;
    case T.life_event:
      p = `"kind":"${LIFE[a]!}","source":"declared"`;
      break;
    case T.offer_response:
      p = `"decisionId":"${decisionIdOf(seed, i, amount)}","actionId":"${ACTION_FAMILIES[a]!}","channel":"${OFFER_CHANNELS[b]!}","response":"${OFFER_RESPONSES[c]!}"`;
      break;
    case T.consent_change:
      p = `"purpose":"marketing","granted":${b === 1},"source":"app"`;
      break;
    default:
      throw new Error(`day buffer holds an unknown event code ${type}`);
  }
  return `${head}${p}}}`;
}
