/**
 * One day in the life of every customer: income, spending, transfers, app use, contacts,
 * life events, loans, the stress chain and the slow run-down before a customer leaves.
 * Writes events into the day buffer; keeps no history beyond the typed-array state.
 */
import { ACCOUNT, BANKS, COUNTRIES, COUNTRY_FX, FEATURES, PAYER_PENSION, SCREENS, TOPIC } from './codes.js';
import { DayBuffer, T } from './dayBuffer.js';
import { HOLD } from './offers.js';
import { MCC_CDF, MCC_TRAVEL, P, drawIndex, cdf } from './personas.js';
import type { Population } from './population.js';
import { Stream } from './stream.js';
import { LIFE_KIND, churnHazard, prepaymentHazard, stressMoves, type MarketState } from './truth.js';

const hours = (w: number[]) => cdf(w);
const SPEND_HOURS = hours([0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.4, 1.5, 2.5, 3, 3.5, 4, 6, 5.5, 4, 4, 4.5, 6, 6, 5, 4, 3, 2, 1]);
const LOGIN_HOURS = hours([0.5, 0.3, 0.2, 0.1, 0.1, 0.3, 1.5, 4, 5, 3, 2.5, 2.5, 4, 3, 2.5, 2.5, 3, 4, 4.5, 5, 5.5, 5, 3.5, 1.5]);
const OFFICE_HOURS = hours([0, 0, 0, 0, 0, 0, 0, 0.5, 2, 3, 3, 3, 2.5, 3, 3, 3, 2.5, 2, 1.5, 1, 0.5, 0, 0, 0]);
const DECAY_30 = Math.pow(0.5, 1 / 30);
const DECAY_90 = Math.pow(0.5, 1 / 90);
const FATIGUE_DECAY = Math.pow(0.5, 1 / 10);
/** Annual rates of life events, in LIFE_KIND order (new_job .. illness). */
const LIFE_ANNUAL = [0.08, 0.02, 0.06, 0.02, 0.008, 0.04, 0.3, 0.01, 0.25, 0.02];
const DECLARED = 0.6;
const PERSONA_STUDENT = 6;

/** Second of the day drawn from an hourly profile. */
function at(rng: Stream, profile: Float64Array): number {
  return drawIndex(profile, rng.next()) * 3600 + Math.floor(rng.next() * 3600);
}

export interface DayTotals {
  /** The bank's margin on balances and spend today, in pence. */
  margin: number;
  churned: number;
  startedLeaving: number;
  prepaid: number;
  lifeEvents: number;
  missedPayments: number;
}

/** The day's behaviour for all customers; the Twin drives it. */
export class Behaviour {
  private readonly rng = new Stream();
  totals: DayTotals = { margin: 0, churned: 0, startedLeaving: 0, prepaid: 0, lifeEvents: 0, missedPayments: 0 };

  constructor(
    private readonly pop: Population,
    private readonly buf: DayBuffer,
    private readonly snapshotEvery: number,
  ) {}

  private emit(i: number, sec: number, type: number, a = 0, b = 0, c = 0, amount = 0, amount2 = 0): void {
    this.buf.push(sec > 86_399 ? 86_399 : sec, i, type, this.pop.eventCounter[i]!++, a, b, c, amount, amount2);
  }

  /** Runs customer i through day d (days in month and weekday in `market`). */
  live(i: number, d: number, market: MarketState, daysInMonth: number): void {
    const pop = this.pop;
    if (pop.churnDay[i]! >= 0) return;
    const rng = this.rng;
    rng.s = pop.behaviourState[i]!;
    this.decay(i);

    // The stress chain moves one step at most per day.
    const { up, down } = stressMoves(pop, i, d, market);
    const st = pop.stress[i]!;
    const u = rng.next();
    if (st < 2 && u < up) pop.stress[i] = st + 1;
    else if (st > 0 && u >= up && u < up + down) pop.stress[i] = st - 1;

    this.lifeEvent(i, d, rng);

    // Leaving: a hazard starts a run-down of 20-45 days, then the customer is gone.
    if (pop.leaveDay[i]! < 0 && rng.next() < churnHazard(pop, i, d, market)) {
      pop.leaveDay[i] = d;
      pop.leaveLength[i] = 20 + Math.floor(rng.next() * 26);
      this.totals.startedLeaving++;
    }
    const leaving = pop.leaveDay[i]! >= 0;
    const progress = leaving ? (d - pop.leaveDay[i]!) / pop.leaveLength[i]! : 0;
    if (progress >= 1) {
      this.leave(i, d, rng);
      pop.behaviourState[i] = rng.s;
      return;
    }
    const activity = pop.engagement[i]! * (1 - 0.85 * progress);
    const dom = market.dayOfMonth;
    const payDay = Math.min(pop.salaryDay[i]!, daysInMonth);

    if (dom === payDay && progress < 0.5) this.income(i, d, rng);
    if (dom === Math.min(payDay + 1, daysInMonth)) this.bills(i, rng, market);
    if (dom === Math.min(payDay + 2, daysInMonth)) this.repayments(i, d, rng);
    this.spend(i, d, rng, activity, market);
    this.digital(i, rng, activity, market.weekday, d);
    this.contacts(i, d, rng, leaving);
    if (leaving && (d - pop.leaveDay[i]!) % 4 === 3) this.moveOut(i, rng, 0.3);
    if (rng.next() < prepaymentHazard(pop, i, d, market)) this.prepay(i, rng, market);
    this.engagementStep(i, rng);
    if ((i + d) % this.snapshotEvery === 0) this.snapshots(i);
    if (pop.current[i]! < 0) pop.overdrawn90[i] = pop.overdrawn90[i]! + 1;
    // Margin: 1.5% on deposits, 3% on lending, 20% APR on overdrafts, per day.
    const deposits = Math.max(pop.current[i]!, 0) + pop.savings[i]!;
    this.totals.margin += (deposits * 0.015 + (pop.loan[i]! + pop.mortgage[i]!) * 0.01 + Math.max(-pop.current[i]!, 0) * 0.2) / 365;
    pop.behaviourState[i] = rng.s;
  }

  private decay(i: number): void {
    const pop = this.pop;
    pop.spend30[i] = pop.spend30[i]! * DECAY_30;
    pop.abroad30[i] = pop.abroad30[i]! * DECAY_30;
    pop.logins30[i] = pop.logins30[i]! * DECAY_30;
    pop.competitorOut30[i] = pop.competitorOut30[i]! * DECAY_30;
    pop.missed90[i] = pop.missed90[i]! * DECAY_90;
    pop.complaints90[i] = pop.complaints90[i]! * DECAY_90;
    pop.late90[i] = pop.late90[i]! * DECAY_90;
    pop.hardship90[i] = pop.hardship90[i]! * DECAY_90;
    pop.overdrawn90[i] = pop.overdrawn90[i]! * DECAY_90;
    pop.fatigue[i] = pop.fatigue[i]! * FATIGUE_DECAY;
  }

  private lifeEvent(i: number, d: number, rng: Stream): void {
    const pop = this.pop;
    const u = rng.next() * 365;
    let acc = 0;
    let kind = 0;
    for (let k = 0; k < LIFE_ANNUAL.length; k++) {
      acc += LIFE_ANNUAL[k]!;
      if (u < acc) {
        kind = k + 1;
        break;
      }
    }
    if (kind === 0) return;
    const age = pop.age[i]!;
    const retired = pop.retired[i] === 1;
    // Life events that do not fit the customer simply do not happen.
    if ((kind === LIFE_KIND.new_job || kind === LIFE_KIND.job_loss) && retired) return;
    if (kind === LIFE_KIND.child && (age < 22 || age > 45)) return;
    if (kind === LIFE_KIND.retirement && (age < 60 || retired)) return;
    if (kind === LIFE_KIND.graduation && pop.primary[i] !== PERSONA_STUDENT) return;
    if (kind === LIFE_KIND.marriage && age < 20) return;
    pop.lifeKind[i] = kind;
    pop.lifeDay[i] = d;
    this.totals.lifeEvents++;
    if (kind === LIFE_KIND.new_job || kind === LIFE_KIND.graduation) pop.income[i] = Math.max(pop.income[i]! * 1.15, kind === LIFE_KIND.graduation ? 2100 : 0);
    else if (kind === LIFE_KIND.job_loss) pop.income[i] = pop.income[i]! * 0.45;
    else if (kind === LIFE_KIND.retirement) {
      pop.retired[i] = 1;
      pop.income[i] = pop.income[i]! * 0.6;
    } else if (kind === LIFE_KIND.illness) pop.vulnerability[i] = pop.vulnerability[i]! | 1;
    else if (kind === LIFE_KIND.bereavement) pop.vulnerability[i] = pop.vulnerability[i]! | (1 << 4);
    if (rng.next() < DECLARED) this.emit(i, at(rng, OFFICE_HOURS), T.life_event, kind - 1);
  }

  private income(i: number, d: number, rng: Stream): void {
    const pop = this.pop;
    const pay = Math.round(pop.income[i]! * (1 + 0.03 * rng.normal())) * 100;
    const sec = 3600 + Math.floor(rng.next() * 4 * 3600);
    if (pop.primary[i] === PERSONA_STUDENT && pop.lifeKind[i] !== LIFE_KIND.graduation) {
      this.emit(i, sec, T.transfer_in, 1 + (i % (BANKS.length - 1)), 0, 0, pay);
    } else {
      this.emit(i, sec, T.salary, pop.retired[i] ? PAYER_PENSION : 0, i % 5000, 0, pay);
    }
    pop.current[i] = pop.current[i]! + pay;
    pop.lastSalary[i] = pay;
    pop.lastSalaryDay[i] = d;
  }

  private bills(i: number, rng: Stream, market: MarketState): void {
    const pop = this.pop;
    // Rent and bills follow prices; pay does not (it is set at the start and by life events).
    const rent = Math.round(pop.income[i]! * (0.25 + 0.1 * rng.next()) * market.priceLevel) * 100;
    const payee = 1 + Math.floor(rng.next() * (BANKS.length - 1));
    this.emit(i, 6 * 3600 + Math.floor(rng.next() * 3 * 3600), T.transfer_out, payee, 0, 0, -rent);
    pop.current[i] = pop.current[i]! - rent;
    // Savers sweep part of what is left into savings with this bank.
    // A rate rise makes savers sweep more often, a cut less (a 1-point rise: +30%).
    const sweepShare = (pop.mix(i, P.savings) / 40_000) * Math.max(0.5, 1 + 0.3 * market.rateDelta);
    const spare = pop.current[i]! - 100_000;
    if (spare > 0 && rng.next() < Math.min(0.9, sweepShare * 2) && (pop.holdings[i]! & HOLD.savings) !== 0) {
      const amount = Math.round(spare * 0.3);
      this.emit(i, 9 * 3600 + Math.floor(rng.next() * 3600), T.transfer_out, 0, 1, 0, -amount);
      pop.current[i] = pop.current[i]! - amount;
      pop.savings[i] = pop.savings[i]! + amount;
    }
  }

  private repayments(i: number, d: number, rng: Stream): void {
    const pop = this.pop;
    const stress = pop.stress[i]!;
    for (const loan of [0, 1]) {
      const balance = loan === 0 ? pop.loan[i]! : pop.mortgage[i]!;
      if (balance <= 0) continue;
      const due = Math.min(balance, loan === 0 ? pop.loanPay[i]! : pop.mortgagePay[i]!);
      const sec = 7 * 3600 + Math.floor(rng.next() * 3600);
      const missed = stress === 2 && rng.next() < 0.35;
      const late = !missed && stress >= 1 && rng.next() < 0.12;
      if (missed) {
        this.emit(i, sec, T.loan_repayment, loan, 0, 2, 0, balance);
        pop.missed90[i] = pop.missed90[i]! + 1;
        pop.lastMissedDay[i] = d;
        this.totals.missedPayments++;
        continue;
      }
      const left = balance - due;
      this.emit(i, sec, T.loan_repayment, loan, 0, late ? 1 : 0, -due, left);
      if (late) {
        pop.late90[i] = pop.late90[i]! + 1;
        pop.lastLateDay[i] = d;
      }
      pop.current[i] = pop.current[i]! - due;
      if (loan === 0) pop.loan[i] = left;
      else pop.mortgage[i] = left;
      if (left <= 0) pop.holdings[i] = pop.holdings[i]! & ~(loan === 0 ? HOLD.personal_loan : HOLD.mortgage);
    }
    if (pop.current[i]! < 0) pop.holdings[i] = pop.holdings[i]! | HOLD.overdraft;
  }

  private spend(i: number, d: number, rng: Stream, activity: number, market: MarketState): void {
    const pop = this.pop;
    const weekday = market.weekday;
    const child = pop.lifeKind[i] === LIFE_KIND.child && d - pop.lifeDay[i]! < 365 ? 1.2 : 1;
    const n = rng.poisson(pop.mix(i, P.cardPerDay) * (0.4 + activity) * child * (weekday === 0 || weekday === 6 ? 1.15 : 1));
    const median = pop.mix(i, P.spendMedian);
    const abroadShare = pop.mix(i, P.abroad);
    const hasCredit = (pop.holdings[i]! & HOLD.credit_card) !== 0;
    for (let k = 0; k < n; k++) {
      const persona = rng.next() < pop.weight[i]! ? pop.primary[i]! : pop.secondary[i]!;
      const mcc = drawIndex(MCC_CDF[persona]!, rng.next());
      const travel = MCC_TRAVEL.has(mcc);
      const pounds = rng.lognormal(travel ? median * 5 : median, 0.75);
      const pence = Math.max(50, Math.round(pounds * 100 * market.priceLevel));
      const abroad = rng.next() < (travel ? 0.6 : abroadShare);
      const country = abroad ? 1 + Math.floor(rng.next() * (COUNTRIES.length - 1)) : 0;
      const credit = hasCredit && rng.next() < 0.4;
      const original = abroad ? Math.round(pence * COUNTRY_FX[country]!) : 0;
      this.emit(i, at(rng, SPEND_HOURS), T.card_payment, mcc, country, credit ? 1 : 0, -pence, original);
      if (credit) pop.card[i] = pop.card[i]! - pence;
      else pop.current[i] = pop.current[i]! - pence;
      pop.spend30[i] = pop.spend30[i]! + pence;
      if (abroad) pop.abroad30[i] = pop.abroad30[i]! + pence;
    }
    if (rng.next() < pop.mix(i, P.cashPerDay) * (0.5 + activity)) {
      const cash = (1 + Math.floor(rng.next() * 10)) * 2000;
      this.emit(i, at(rng, SPEND_HOURS), T.withdrawal, rng.next() < 0.85 ? 0 : 1, 0, 0, -cash);
      pop.current[i] = pop.current[i]! - cash;
    }
    if (rng.next() < 0.01) {
      const deposit = Math.round(rng.lognormal(150, 0.8) * 100);
      this.emit(i, at(rng, OFFICE_HOURS), T.deposit, Math.floor(rng.next() * 3), 0, 0, deposit);
      pop.current[i] = pop.current[i]! + deposit;
    }
    // Credit-card holders clear part of the card balance now and then.
    if (hasCredit && pop.card[i]! < -20_000 && rng.next() < 0.04) {
      const pay = Math.round(-pop.card[i]! * (pop.stress[i]! > 0 ? 0.1 : 0.8));
      this.emit(i, at(rng, OFFICE_HOURS), T.transfer_out, 0, 1, 0, -pay);
      pop.current[i] = pop.current[i]! - pay;
      pop.card[i] = pop.card[i]! + pay;
    }
    if (pop.current[i]! < 0) pop.holdings[i] = pop.holdings[i]! | HOLD.overdraft;
  }

  private digital(i: number, rng: Stream, activity: number, weekday: number, d: number): void {
    const pop = this.pop;
    const n = rng.poisson(pop.mix(i, P.loginsPerDay) * activity * (1 + 0.4 * pop.stress[i]!));
    const web = pop.mix(i, P.webShare);
    for (let k = 0; k < n; k++) {
      const sec = at(rng, LOGIN_HOURS);
      const channel = rng.next() < web ? 1 : 0;
      this.emit(i, sec, T.login, channel);
      if (rng.next() < 0.6) this.emit(i, sec + 20, T.screen_view, channel, Math.floor(rng.next() * SCREENS.length));
      if (rng.next() < 0.12) this.emit(i, sec + 60, T.feature_use, channel, Math.floor(rng.next() * FEATURES.length));
    }
    pop.logins30[i] = pop.logins30[i]! + n;
    const week = Math.floor(d / 7);
    if (weekday === 2 && rng.next() < pop.mix(i, P.emailOpen) * (0.3 + activity)) {
      const sec = at(rng, LOGIN_HOURS);
      this.emit(i, sec, T.email_open, week, -1);
      if (rng.next() < 0.15) this.emit(i, sec + 30, T.email_click, week, -1);
    }
    if (weekday === 4 && rng.next() < pop.mix(i, P.pushOpen) * (0.3 + activity)) this.emit(i, at(rng, LOGIN_HOURS), T.push_open, week, -1);
    // Now and then a customer flips their marketing consent in the app.
    if (rng.next() < 0.0004) {
      const granted = (pop.consents[i]! & 1) === 0;
      pop.consents[i] = pop.consents[i]! ^ 1;
      this.emit(i, at(rng, LOGIN_HOURS), T.consent_change, 0, granted ? 1 : 0);
    }
  }

  private contacts(i: number, d: number, rng: Stream, leaving: boolean): void {
    const pop = this.pop;
    const stress = pop.stress[i]!;
    const n = rng.poisson(pop.mix(i, P.contactsPerDay) * (1 + stress) * (leaving ? 3 : 1));
    for (let k = 0; k < n; k++) {
      let topic: number;
      const u = rng.next();
      if (leaving && u < 0.5) topic = u < 0.2 ? TOPIC.complaint : TOPIC.rate_query;
      else if (stress > 0 && u < 0.5) topic = u < 0.3 ? TOPIC.payment_difficulty : TOPIC.hardship;
      else topic = [TOPIC.balance_query, TOPIC.card_query, TOPIC.fraud_report, TOPIC.address_change, TOPIC.mortgage_query, TOPIC.travel][Math.floor(rng.next() * 6)]!;
      if (topic === TOPIC.complaint) pop.complaints90[i] = pop.complaints90[i]! + 1;
      if (topic === TOPIC.hardship || topic === TOPIC.payment_difficulty) {
        pop.hardship90[i] = pop.hardship90[i]! + 1;
        pop.lastHardshipDay[i] = d;
      }
      const sentiment = topic === TOPIC.complaint || topic === TOPIC.hardship ? 0 : rng.next() < 0.7 ? 1 : 2;
      const channel = Math.floor(rng.next() * 5);
      this.emit(i, at(rng, OFFICE_HOURS), T.contact_centre, channel, topic, sentiment, 60 + Math.floor(rng.next() * 900));
    }
  }

  /** Moves a share of the customer's money to their own account at a competitor. */
  private moveOut(i: number, rng: Stream, share: number): void {
    const pop = this.pop;
    const bank = 1 + (i % (BANKS.length - 1));
    const fromSavings = Math.round(pop.savings[i]! * share);
    const fromCurrent = Math.round(Math.max(pop.current[i]! + fromSavings, 0) * share);
    if (fromSavings > 0) {
      this.emit(i, at(rng, OFFICE_HOURS), T.transfer_out, 0, 1, 0, -fromSavings); // savings → current
      pop.savings[i] = pop.savings[i]! - fromSavings;
      pop.current[i] = pop.current[i]! + fromSavings;
    }
    if (fromCurrent > 0) {
      this.emit(i, at(rng, OFFICE_HOURS), T.transfer_out, bank, 1, 0, -fromCurrent);
      pop.current[i] = pop.current[i]! - fromCurrent;
      pop.competitorOut30[i] = pop.competitorOut30[i]! + fromCurrent;
    }
  }

  private leave(i: number, d: number, rng: Stream): void {
    const pop = this.pop;
    this.moveOut(i, rng, 1);
    this.emit(i, at(rng, OFFICE_HOURS), T.contact_centre, 0, TOPIC.close_account, 1, 300 + Math.floor(rng.next() * 600));
    pop.churnDay[i] = d;
    this.totals.churned++;
  }

  private prepay(i: number, rng: Stream, market: MarketState): void {
    const pop = this.pop;
    const sec = at(rng, OFFICE_HOURS);
    if (pop.mortgage[i]! > 0 && (market.rateDelta < 0 || rng.next() < 0.5)) {
      // Remortgaged elsewhere: the new lender pays this one off.
      const bal = pop.mortgage[i]!;
      this.emit(i, sec, T.transfer_in, 1 + Math.floor(rng.next() * (BANKS.length - 1)), 0, 0, bal);
      this.emit(i, sec + 60, T.loan_repayment, 1, 2, 0, -bal, 0);
      pop.mortgage[i] = 0;
      pop.holdings[i] = pop.holdings[i]! & ~HOLD.mortgage;
      this.totals.prepaid++;
    } else if (pop.loan[i]! > 0) {
      const bal = pop.loan[i]!;
      this.emit(i, sec, T.loan_repayment, 0, 2, 0, -bal, 0);
      pop.current[i] = pop.current[i]! - bal;
      pop.loan[i] = 0;
      pop.holdings[i] = pop.holdings[i]! & ~HOLD.personal_loan;
      this.totals.prepaid++;
    }
  }

  private engagementStep(i: number, rng: Stream): void {
    const pop = this.pop;
    const fatigue = pop.fatigue[i]!;
    const target = 0.62 - 0.08 * pop.stress[i]! - (fatigue > 2.5 ? 0.06 * (fatigue - 2.5) : 0) - (pop.complaints90[i]! > 0.5 ? 0.1 : 0);
    const e = pop.engagement[i]! + 0.02 * (target - pop.engagement[i]!) + 0.025 * rng.normal();
    pop.engagement[i] = e < 0.02 ? 0.02 : e > 1 ? 1 : e;
  }

  private snapshots(i: number): void {
    const pop = this.pop;
    const h = pop.holdings[i]!;
    this.emit(i, 86_399, T.balance_snapshot, ACCOUNT.current, 0, 0, pop.current[i]!);
    if (h & HOLD.savings) this.emit(i, 86_399, T.balance_snapshot, ACCOUNT.savings, 0, 0, pop.savings[i]!);
    if (h & HOLD.credit_card) this.emit(i, 86_399, T.balance_snapshot, ACCOUNT.credit_card, 0, 0, pop.card[i]!);
    if (pop.loan[i]! > 0) this.emit(i, 86_399, T.balance_snapshot, ACCOUNT.loan, 0, 0, -pop.loan[i]!);
    if (pop.mortgage[i]! > 0) this.emit(i, 86_399, T.balance_snapshot, ACCOUNT.mortgage, 0, 0, -pop.mortgage[i]!);
    if (h & HOLD.isa) this.emit(i, 86_399, T.balance_snapshot, ACCOUNT.isa, 0, 0, pop.invested[i]!);
  }
}

export { DayBuffer };
