/**
 * The fastest path to JSONL: buffered events written as bytes straight into a 1 MB
 * buffer (constant fragments pre-encoded, numbers and ids as digits), with no string per
 * event. Its output must equal encodeJson (and so JSON.stringify of the event) byte for
 * byte; test/simulation/events.test.ts checks that over whole simulated days.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import {
  ACCOUNT_SUFFIX, ACCOUNT_TYPES, BANKS, CONTACT_CHANNELS, COUNTRIES, COUNTRY_CURRENCY, DEPOSIT_METHODS, FEATURES, INSTRUMENTS, LOAN_OUTCOMES,
  LOAN_PRODUCTS, OFFER_RESPONSES, PAYER_PENSION, REPAYMENT_KINDS, REPAYMENT_STATUS, SCREENS, SENTIMENTS, TOPICS, TRADE_SIDES, WITHDRAWAL_METHODS, WRAPPERS,
} from './codes.js';
import { DayBuffer, T, TYPE_NAMES } from './dayBuffer.js';
import { ACTION_FAMILIES, OFFER_CHANNELS } from './offers.js';
import { MCC } from './personas.js';
import { LIFE } from './truth.js';

const enc = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const table = (xs: readonly string[]): Uint8Array[] => xs.map(enc);
const quoted = (xs: readonly string[]): Uint8Array[] => xs.map((x) => enc(`"${x}"`));

const F = {
  eventId: enc('{"eventId":"tw-'),
  customerId: enc('","customerId":"'),
  occurredAt: enc('","occurredAt":"'),
  amount: enc('"amount":'),
  minor: enc('{"minor":'),
  gbp: enc(',"currency":"GBP"}'),
  currency: enc(',"currency":"'),
  closeMoney: enc('"}'),
  accountId: enc(',"accountId":"'),
  method: enc('","method":'),
  mcc: enc('","merchantCategoryCode":"'),
  country: enc('","merchantCountry":"'),
  original: enc('","originalAmount":'),
  cardTypeAfterMoney: enc(',"cardType":'),
  cardTypeAfterCountry: enc('","cardType":'),
  bank: enc('","counterpartyBank":'),
  own: enc(',"ownAccount":'),
  employer: enc('","employerId":"'),
  pension: enc('state-pension"'),
  emp: enc('emp-'),
  loanId: enc('"loanId":"'),
  product: enc('","product":'),
  requested: enc(',"requested":'),
  term: enc(',"termMonths":'),
  outcome: enc(',"outcome":'),
  loanAmount: enc('","amount":'),
  kind: enc(',"kind":'),
  status: enc(',"status":'),
  remaining: enc(',"remainingBalance":'),
  side: enc('"side":'),
  amountAfter: enc(',"amount":'),
  instrument: enc(',"instrumentType":'),
  wrapper: enc(',"wrapper":'),
  snapshotAccount: enc('"accountId":"'),
  accountType: enc('","accountType":'),
  balance: enc(',"balance":'),
  channel: enc('"channel":'),
  screen: enc(',"screen":'),
  feature: enc(',"feature":'),
  campaign: enc('"campaignId":"weekly-'),
  decision: enc('"decisionId":"d-'),
  commaDecision: enc('","decisionId":"d-'),
  topics: enc(',"topics":['),
  duration: enc('],"durationSeconds":'),
  sentiment: enc(',"sentiment":'),
  lifeKind: enc('"kind":'),
  declared: enc(',"source":"declared"'),
  actionId: enc('","actionId":'),
  response: enc(',"response":'),
  consent: enc('"purpose":"marketing","granted":'),
  consentSource: enc(',"source":"app"'),
  web: enc('"web"'),
  app: enc('"mobile_app"'),
  true: enc('true'),
  false: enc('false'),
  credit: enc('"credit"'),
  debit: enc('"debit"'),
  end: enc('}}\n'),
};
const TAILS = TYPE_NAMES.map((t) => enc(`","schemaVersion":1,"type":"${t}","payload":{`));
const SUFFIX = table(ACCOUNT_SUFFIX);
const Q = {
  deposit: quoted(DEPOSIT_METHODS), withdrawal: quoted(WITHDRAWAL_METHODS), mcc: table(MCC), country: table(COUNTRIES), currency: table(COUNTRY_CURRENCY),
  bank: quoted(BANKS), product: quoted(LOAN_PRODUCTS), outcome: quoted(LOAN_OUTCOMES), kind: quoted(REPAYMENT_KINDS), status: quoted(REPAYMENT_STATUS),
  side: quoted(TRADE_SIDES), instrument: quoted(INSTRUMENTS), wrapper: quoted(WRAPPERS), accountType: quoted(ACCOUNT_TYPES), screen: quoted(SCREENS),
  feature: quoted(FEATURES), contact: quoted(CONTACT_CHANNELS), topic: quoted(TOPICS), sentiment: quoted(SENTIMENTS), life: quoted(LIFE),
  family: quoted(ACTION_FAMILIES), offerChannel: quoted(OFFER_CHANNELS), response: quoted(OFFER_RESPONSES),
};
const MAX_EVENT_BYTES = 1024;

/** Writes buffered events as JSON lines into a byte buffer, flushed to a file (or dropped: a null sink). */
export class JsonlWriter {
  private readonly out = new Uint8Array(1 << 20);
  private readonly outBuffer = Buffer.from(this.out.buffer, this.out.byteOffset, this.out.byteLength);
  private pos = 0;
  private date: Uint8Array = new Uint8Array(0);
  private readonly fd: number | undefined;
  bytes = 0;

  /** With a path, writes the file; without, a null sink that only counts (or hands chunks to `onFlush`). */
  constructor(
    path?: string,
    private readonly onFlush?: (chunk: string) => void,
  ) {
    this.fd = path === undefined ? undefined : openSync(path, 'w');
  }

  /** Writes a whole line of text (for rare rows such as market events). */
  text(line: string): void {
    this.room(line.length * 3 + 1);
    this.pos += this.outBuffer.write(line, this.pos, 'utf8');
    this.out[this.pos++] = 10;
  }

  /** Writes one buffered event of the day `date` (YYYY-MM-DD). */
  event(buf: DayBuffer, k: number, seed: number, date: string): void {
    this.room(MAX_EVENT_BYTES);
    if (this.date.length === 0 || !sameAscii(this.date, date)) this.date = enc(date);
    const i = buf.cust[k]!;
    const type = buf.type[k]!;
    const a = buf.a[k]!;
    const b = buf.b[k]!;
    const c = buf.c[k]!;
    const amount = buf.amount[k]!;
    this.raw(F.eventId);
    this.int(seed);
    this.byte(45);
    this.cid(i);
    this.byte(45);
    this.int(buf.seq[k]!);
    this.raw(F.customerId);
    this.cid(i);
    this.raw(F.occurredAt);
    this.raw(this.date);
    this.time(buf.sec[k]!);
    this.raw(TAILS[type]!);
    switch (type) {
      case T.deposit:
      case T.withdrawal:
        this.money(amount);
        this.account(i, 0);
        this.raw(F.method);
        this.raw((type === T.deposit ? Q.deposit : Q.withdrawal)[a]!);
        break;
      case T.card_payment:
        this.money(amount);
        this.account(i, c === 1 ? 2 : 0);
        this.raw(F.mcc);
        this.raw(Q.mcc[a]!);
        this.raw(F.country);
        this.raw(Q.country[b]!);
        if (b !== 0) {
          this.raw(F.original);
          this.raw(F.minor);
          this.int(-buf.amount2[k]!);
          this.raw(F.currency);
          this.raw(Q.currency[b]!);
          this.raw(F.closeMoney);
          this.raw(F.cardTypeAfterMoney);
        } else this.raw(F.cardTypeAfterCountry);
        this.raw(c === 1 ? F.credit : F.debit);
        break;
      case T.transfer_in:
      case T.transfer_out:
        this.money(amount);
        this.account(i, 0);
        this.raw(F.bank);
        this.raw(Q.bank[a]!);
        this.raw(F.own);
        this.raw(b === 1 ? F.true : F.false);
        break;
      case T.salary:
        this.money(amount);
        this.account(i, 0);
        this.raw(F.employer);
        if (a === PAYER_PENSION) this.raw(F.pension);
        else {
          this.raw(F.emp);
          this.int(b);
          this.byte(34);
        }
        break;
      case T.loan_application:
        this.raw(F.loanId);
        this.accountRef(i, 3);
        this.raw(F.product);
        this.raw(Q.product[a]!);
        this.raw(F.requested);
        this.moneyValue(amount);
        this.raw(F.term);
        this.int(c);
        this.raw(F.outcome);
        this.raw(Q.outcome[b]!);
        break;
      case T.loan_repayment:
        this.raw(F.loanId);
        this.accountRef(i, a === 0 ? 3 : 4);
        this.raw(F.loanAmount);
        this.moneyValue(amount);
        this.raw(F.kind);
        this.raw(Q.kind[b]!);
        this.raw(F.status);
        this.raw(Q.status[c]!);
        this.raw(F.remaining);
        this.moneyValue(buf.amount2[k]!);
        break;
      case T.investment_trade:
        this.raw(F.side);
        this.raw(Q.side[a]!);
        this.raw(F.amountAfter);
        this.moneyValue(amount);
        this.raw(F.instrument);
        this.raw(Q.instrument[b]!);
        this.raw(F.wrapper);
        this.raw(Q.wrapper[c]!);
        break;
      case T.balance_snapshot:
        this.raw(F.snapshotAccount);
        this.accountRef(i, a);
        this.raw(F.accountType);
        this.raw(Q.accountType[a]!);
        this.raw(F.balance);
        this.moneyValue(amount);
        break;
      case T.login:
      case T.screen_view:
      case T.feature_use:
        this.raw(F.channel);
        this.raw(a === 1 ? F.web : F.app);
        if (type === T.screen_view) {
          this.raw(F.screen);
          this.raw(Q.screen[b]!);
        } else if (type === T.feature_use) {
          this.raw(F.feature);
          this.raw(Q.feature[b]!);
        }
        break;
      case T.email_open:
      case T.email_click:
      case T.push_open:
        if (a >= 0) {
          this.raw(F.campaign);
          this.int(a);
          if (b >= 0) {
            this.raw(F.commaDecision);
            this.decision(seed, i, b);
          }
          this.byte(34);
        } else if (b >= 0) {
          this.raw(F.decision);
          this.decision(seed, i, b);
          this.byte(34);
        }
        break;
      case T.contact_centre:
        this.raw(F.channel);
        this.raw(Q.contact[a]!);
        this.raw(F.topics);
        this.raw(Q.topic[b]!);
        this.raw(F.duration);
        this.int(amount);
        this.raw(F.sentiment);
        this.raw(Q.sentiment[c]!);
        break;
      case T.life_event:
        this.raw(F.lifeKind);
        this.raw(Q.life[a]!);
        this.raw(F.declared);
        break;
      case T.offer_response:
        this.raw(F.decision);
        this.decision(seed, i, amount);
        this.raw(F.actionId);
        this.raw(Q.family[a]!);
        this.byte(44);
        this.raw(F.channel);
        this.raw(Q.offerChannel[b]!);
        this.raw(F.response);
        this.raw(Q.response[c]!);
        break;
      case T.consent_change:
        this.raw(F.consent);
        this.raw(b === 1 ? F.true : F.false);
        this.raw(F.consentSource);
        break;
      default:
        throw new Error(`day buffer holds an unknown event code ${type}`);
    }
    this.raw(F.end);
  }

  /** Writes out what is buffered (a null sink just counts it). */
  flush(): void {
    if (this.fd !== undefined) {
      let off = 0;
      while (off < this.pos) off += writeSync(this.fd, this.out, off, this.pos - off);
    }
    this.onFlush?.(this.outBuffer.toString('utf8', 0, this.pos));
    this.bytes += this.pos;
    this.pos = 0;
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
  }

  /** The buffered bytes (for tests), without flushing. */
  peek(): string {
    return this.outBuffer.toString('utf8', 0, this.pos);
  }

  private room(n: number): void {
    if (this.pos + n > this.out.length) this.flush();
  }

  private raw(bytes: Uint8Array): void {
    this.out.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private byte(x: number): void {
    this.out[this.pos++] = x;
  }

  /** A safe integer in decimal. */
  private int(n: number): void {
    if (n < 0) {
      this.byte(45);
      n = -n;
    }
    if (n < 10) {
      this.byte(48 + n);
      return;
    }
    let digits = 0;
    for (let m = n; m >= 1; m = Math.floor(m / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    while (n >= 1) {
      const q = Math.floor(n / 10);
      this.out[--p] = 48 + (n - q * 10);
      n = q;
    }
  }

  /** `c` and the customer number padded to 7 digits (as Population.id). */
  private cid(i: number): void {
    this.byte(99);
    const n = i + 1;
    let digits = 0;
    for (let m = n; m >= 1; m = Math.floor(m / 10)) digits++;
    for (let z = digits; z < 7; z++) this.byte(48);
    this.int(n);
  }

  private time(sec: number): void {
    const h = Math.floor(sec / 3600);
    const m = Math.floor(sec / 60) % 60;
    const s = sec % 60;
    const o = this.out;
    let p = this.pos;
    o[p++] = 84; // T
    o[p++] = 48 + Math.floor(h / 10);
    o[p++] = 48 + (h % 10);
    o[p++] = 58;
    o[p++] = 48 + Math.floor(m / 10);
    o[p++] = 48 + (m % 10);
    o[p++] = 58;
    o[p++] = 48 + Math.floor(s / 10);
    o[p++] = 48 + (s % 10);
    o[p++] = 90; // Z
    this.pos = p;
  }

  private money(amount: number): void {
    this.raw(F.amount);
    this.moneyValue(amount);
  }

  private moneyValue(amount: number): void {
    this.raw(F.minor);
    this.int(amount === 0 ? 0 : amount);
    this.raw(F.gbp);
  }

  private account(i: number, suffix: number): void {
    this.raw(F.accountId);
    this.cid(i);
    this.byte(45);
    this.raw(SUFFIX[suffix]!);
  }

  /** `<cid>-<suffix>"` after an opening quote already written. */
  private accountRef(i: number, suffix: number): void {
    this.cid(i);
    this.byte(45);
    this.raw(SUFFIX[suffix]!);
  }

  private decision(seed: number, i: number, day: number): void {
    this.int(seed);
    this.byte(45);
    this.cid(i);
    this.byte(45);
    this.int(day);
  }
}

function sameAscii(bytes: Uint8Array, s: string): boolean {
  if (bytes.length !== s.length) return false;
  for (let k = 0; k < s.length; k++) if (bytes[k] !== s.charCodeAt(k)) return false;
  return true;
}
