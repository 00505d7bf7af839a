/**
 * Per-customer outcomes of an experiment, read from the log: who was exposed (a decision
 * tagged with the experiment), in which arm, from when, and what followed — offers accepted
 * and their value, logins before and after (engagement, with the before for CUPED), silent
 * churn, complaints, consent withdrawals and contacts (guardrails), products held and
 * savings balances before and after (engagement, cross-sell, idle cash moved), repayments in
 * arrears (after credit offers especially), and the CLV score the decisions logged. Pure:
 * the caller reads the decision log and the event log.
 */
import type { StoredEvent } from '../core/events.js';

export const DAY_MS = 86_400_000;

/** A logged decision as the analysis needs it. */
export interface ExposureDecision {
  decisionId: string;
  customerId: string;
  decidedAt: number;
  experiment?: { experimentId: string; arm: string; heldOut: boolean } | undefined;
  /** The chosen actions with the value the catalogue gave them (candidate trace). */
  chosen: { actionId: string; family: string; value: number }[];
  /** The CLV score the decision read (`scores.clv`), when a CLV model served one. */
  clv?: number | undefined;
  /** The customer had a vulnerability flag at the decision. */
  vulnerable?: boolean | undefined;
  /** The action ranked first, chosen or not (what a held-out customer would have been offered). */
  topAction?: { actionId: string; family: string } | undefined;
}

/** Account types whose balances are savings or investments (idle cash moved there counts). */
export const SAVINGS_ACCOUNTS: ReadonlySet<string> = new Set(['savings', 'isa', 'investment', 'pension']);
/** Action families that offer credit (arrears after them are watched). */
export const CREDIT_FAMILIES: ReadonlySet<string> = new Set(['credit_card', 'personal_loan', 'refinancing']);
/** Days after exposure within which an acceptance counts in the daily looks. */
export const EARLY_WINDOW_DAYS = 7;
/** Days of balance snapshots that say which products a customer holds at a time. */
const HOLDING_DAYS = 7;

/** One exposed customer's outcomes over [exposedAt, until). */
export interface CustomerOutcome {
  customerId: string;
  arm: string;
  exposedAt: number;
  decisions: number;
  /** Decisions that chose something: contacts made. */
  contacts: number;
  offersAccepted: number;
  /** When the first offer was accepted (daily looks count only what was known by then). */
  firstAcceptedAt: number | null;
  /** Sum of the catalogue value of accepted offers. */
  value: number;
  /** The part of `value` accepted within EARLY_WINDOW_DAYS of exposure (the fixed estimand of the daily looks). */
  earlyValue: number;
  loginsBefore: number;
  loginsAfter: number;
  complaints: number;
  consentWithdrawals: number;
  /** Days from exposure to the last activity when the customer went silent (churned), else to `until`. */
  survivalDays: number;
  churned: boolean;
  /** Accounts with a balance snapshot in the HOLDING_DAYS before exposure / before `until`. */
  productsBefore: number;
  productsAfter: number;
  /** Savings, ISA, investment and pension balances (pounds) at their latest snapshot before exposure / before `until`. */
  savingsBefore: number;
  savingsAfter: number;
  /** The current account's latest balance before `until` was negative. */
  overdrawnAtEnd: boolean;
  /** Repayments late or missed in the pre-period / after exposure. */
  arrearsBefore: number;
  arrearsAfter: number;
  /** Accepted an offer of a credit family. */
  creditAccepted: boolean;
  /** The CLV score of the first and the latest decision (NaN: none logged). */
  clvBefore: number;
  clvAfter: number;
  vulnerable: boolean;
}

export interface OutcomeOptions {
  experimentId: string;
  /** End of the observation window (epoch ms). */
  until: number;
  /** Days without any event that count as silent churn (default 30). */
  inactiveDays?: number;
  /** Pre-period for the CUPED covariate (default 28 days before exposure). */
  preDays?: number;
}

/** The outcomes of every customer exposed to the experiment; events may be in any order. */
export function customerOutcomes(decisions: readonly ExposureDecision[], events: readonly StoredEvent[], o: OutcomeOptions): CustomerOutcome[] {
  const inactive = (o.inactiveDays ?? 30) * DAY_MS;
  const pre = (o.preDays ?? 28) * DAY_MS;
  const mine = decisions.filter((d) => d.experiment?.experimentId === o.experimentId && d.decidedAt < o.until);
  const byCustomer = new Map<string, CustomerOutcome>();
  const decisionValue = new Map<string, { customerId: string; values: Map<string, number>; families: Map<string, string> }>();
  for (const d of [...mine].sort((a, b) => a.decidedAt - b.decidedAt)) {
    let c = byCustomer.get(d.customerId);
    if (!c) {
      c = { ...emptyOutcome(d.customerId, d.experiment!.arm, d.decidedAt), clvBefore: d.clv ?? Number.NaN, vulnerable: d.vulnerable ?? false };
      byCustomer.set(d.customerId, c);
    }
    c.decisions++;
    if (d.chosen.length > 0) c.contacts++;
    if (d.clv !== undefined) c.clvAfter = d.clv;
    decisionValue.set(d.decisionId, { customerId: d.customerId, values: new Map(d.chosen.map((a) => [a.actionId, a.value])), families: new Map(d.chosen.map((a) => [a.actionId, a.family])) });
  }
  const balances = new Map<string, Balances>();
  const lastActivity = new Map<string, number>();
  const accepted = new Set<string>();
  for (const s of events) {
    const e = s.event;
    const c = byCustomer.get(e.customerId);
    if (!c || s.t >= o.until) continue;
    if (e.type === 'balance_snapshot') balanceSeen(balances, c, e.payload, s.t, o.until);
    if (s.t < c.exposedAt) {
      if (s.t >= c.exposedAt - pre && e.type === 'login') c.loginsBefore++;
      if (s.t >= c.exposedAt - pre && e.type === 'loan_repayment' && e.payload.status !== 'paid') c.arrearsBefore++;
      continue;
    }
    // The bank's own records (end-of-day balances) say nothing of whether the customer is still active.
    if (e.type !== 'balance_snapshot') lastActivity.set(c.customerId, Math.max(lastActivity.get(c.customerId) ?? c.exposedAt, s.t));
    switch (e.type) {
      case 'login':
        c.loginsAfter++;
        break;
      case 'offer_response': {
        const d = decisionValue.get(e.payload.decisionId);
        const key = `${e.payload.decisionId}/${e.payload.actionId}`;
        if (e.payload.response === 'accepted' && d && d.customerId === c.customerId && !accepted.has(key)) {
          accepted.add(key);
          c.offersAccepted++;
          c.firstAcceptedAt = Math.min(c.firstAcceptedAt ?? s.t, s.t);
          c.value += d.values.get(e.payload.actionId) ?? 0;
          if (s.t < c.exposedAt + EARLY_WINDOW_DAYS * DAY_MS) c.earlyValue += d.values.get(e.payload.actionId) ?? 0;
          if (CREDIT_FAMILIES.has(d.families.get(e.payload.actionId) ?? '')) c.creditAccepted = true;
        }
        break;
      }
      case 'loan_repayment':
        if (e.payload.status !== 'paid') c.arrearsAfter++;
        break;
      case 'contact_centre':
        if (e.payload.topics.includes('complaint')) c.complaints++;
        break;
      case 'consent_change':
        if (!e.payload.granted) c.consentWithdrawals++;
        break;
      default:
        break;
    }
  }
  for (const c of byCustomer.values()) {
    const last = lastActivity.get(c.customerId) ?? c.exposedAt;
    c.churned = o.until - last >= inactive;
    c.survivalDays = ((c.churned ? last : o.until) - c.exposedAt) / DAY_MS;
    const b = balances.get(c.customerId);
    if (b) {
      c.productsBefore = [...b.before.values()].filter((x) => x.t >= c.exposedAt - HOLDING_DAYS * DAY_MS).length;
      c.productsAfter = [...b.after.values()].filter((x) => x.t >= o.until - HOLDING_DAYS * DAY_MS).length;
      const savings = (m: Map<string, Snapshot>) => [...m.values()].filter((x) => SAVINGS_ACCOUNTS.has(x.type)).reduce((sum, x) => sum + x.pounds, 0);
      c.savingsBefore = savings(b.before);
      c.savingsAfter = savings(b.after);
      const current = [...b.after.values()].filter((x) => x.type === 'current').sort((x, y) => y.t - x.t)[0];
      c.overdrawnAtEnd = current !== undefined && current.pounds < 0;
    }
  }
  return [...byCustomer.values()];
}

interface Snapshot {
  t: number;
  type: string;
  pounds: number;
}
/** Each account's latest snapshot before exposure and before `until`. */
interface Balances {
  before: Map<string, Snapshot>;
  after: Map<string, Snapshot>;
}

function balanceSeen(all: Map<string, Balances>, c: CustomerOutcome, p: { accountId: string; accountType: string; balance: { minor: number } }, t: number, until: number): void {
  let b = all.get(c.customerId);
  if (!b) all.set(c.customerId, (b = { before: new Map(), after: new Map() }));
  const snap = { t, type: p.accountType, pounds: p.balance.minor / 100 };
  const keep = (m: Map<string, Snapshot>) => {
    const had = m.get(p.accountId);
    if (!had || had.t <= t) m.set(p.accountId, snap);
  };
  if (t < c.exposedAt) keep(b.before);
  if (t < until) keep(b.after);
}

function emptyOutcome(customerId: string, arm: string, exposedAt: number): CustomerOutcome {
  return {
    customerId, arm, exposedAt, decisions: 0, contacts: 0, offersAccepted: 0, firstAcceptedAt: null, value: 0, earlyValue: 0, loginsBefore: 0, loginsAfter: 0, complaints: 0, consentWithdrawals: 0, survivalDays: 0, churned: false,
    productsBefore: 0, productsAfter: 0, savingsBefore: 0, savingsAfter: 0, overdrawnAtEnd: false, arrearsBefore: 0, arrearsAfter: 0, creditAccepted: false, clvBefore: Number.NaN, clvAfter: Number.NaN, vulnerable: false,
  };
}
