/**
 * The engine's view of a twin customer as a profile: the bank-pack feature names the
 * catalogue's rules read, and the features the twin's models (propensity, churn) learn from.
 */
import type { CustomerView } from './closedLoop.js';
import { OFFER_CHANNELS, type OfferChannel } from './offers.js';
import type { FeatureValues } from '../decisioning/index.js';

/**
 * The twin keeps decayed sums (half-lives of 30 and 90 days), the bank-pack names mean window
 * sums: at a steady pace a decayed sum holds 1 / (1 − 2^(−1/h)) days of activity, so these turn
 * it into the window's share (0.69 of it for both).
 */
const WINDOW_30 = 30 * (1 - Math.pow(0.5, 1 / 30));
const WINDOW_90 = 90 * (1 - Math.pow(0.5, 1 / 90));
const RISK = ['none', 'low', 'medium', 'high'];
const HOLDS = ['savings', 'credit_card', 'personal_loan', 'mortgage', 'isa', 'pension', 'overdraft'];

/** The model features the twin profile adds beyond the bank-pack names the rules read. */
export const TWIN_MODEL_FEATURES = [
  'current_balance_avg_30d', 'savings_balance_avg_90d', 'idle_cash', 'card_spend_30d', 'card_spend_fx_90d', 'transfers_out_other_banks_90d',
  'loan_repayments_missed_365d', 'complaints_365d', 'logins_30d', 'income_90d', 'days_since_salary', 'base_rate_change_120d',
  'age', 'risk_level', 'sophistication', 'vulnerable', 'days_since_contact', 'contacts_30d', 'channel_code', 'preferred_channel', ...HOLDS.map((h) => `holds_${h}`),
];

/**
 * The engine's view of a twin customer as a profile. Balances and decayed sums stand in for
 * the bank-pack aggregates of the same meaning (the twin keeps decayed sums, not windows):
 * a 365-day count is at least 1 while the latest such event is under a year old.
 */
export function twinProfile(view: CustomerView, channel: OfferChannel, scores: Readonly<Record<string, number>> = {}): FeatureValues {
  const b = view.balances;
  const r = view.recent;
  const c = view.customer;
  const age = c.dateOfBirth ? (Date.parse('2025-01-01') - Date.parse(c.dateOfBirth)) / (365.25 * 86_400_000) : null;
  const inYear = (daysSince: number, decayed: number) => (daysSince <= 365 ? Math.max(1, decayed) : 0);
  const out: Record<string, number | null> = {
    current_balance_avg_30d: b.current,
    savings_balance_avg_90d: b.savings,
    idle_cash: Math.max(0, b.current + b.savings - r.cardSpend),
    // A month's spending, not the decayed sum (which holds about 43 days of it at a steady pace).
    monthly_outgoings: r.cardSpend * WINDOW_30,
    income_90d: view.daysSinceSalary <= 45 ? 3 * view.lastSalary : 0,
    // Days overdrawn in 90 from the decayed count (which holds about 130 days of them). Overdrawn
    // today counts as the stress level (10 days): the run starts without the history before it.
    overdraft_days_90d: Math.max(r.overdrawnDays * WINDOW_90, b.current < 0 ? 10 : 0),
    loan_repayments_missed_365d: inYear(view.daysSince.missedPayment, r.missedPayments),
    loan_repayments_late_365d: inYear(view.daysSince.latePayment, r.latePayments),
    hardship_contacts_365d: inYear(view.daysSince.hardshipContact, r.hardshipContacts),
    card_spend_30d: r.cardSpend,
    card_spend_fx_90d: r.spendAbroad,
    transfers_out_other_banks_90d: r.transfersToCompetitors,
    complaints_365d: r.complaints,
    logins_30d: r.logins,
    days_since_salary: Number.isFinite(view.daysSinceSalary) ? view.daysSinceSalary : 999,
    base_rate_change_120d: view.baseRateChange,
    // Tenure as the log knows it (the bank pack's first_seen): how long stress has had to show.
    days_since_first_seen: view.historyDays ?? null,
    age,
    risk_level: c.riskTolerance ? RISK.indexOf(c.riskTolerance) : null,
    sophistication: c.financialSophistication ? ['novice', 'intermediate', 'experienced'].indexOf(c.financialSophistication) : null,
    vulnerable: c.vulnerabilityFlags.length > 0 ? 1 : 0,
    days_since_contact: Number.isFinite(view.daysSinceContact) ? Math.min(view.daysSinceContact, 999) : 999,
    // Take-up falls with every recent contact: the bank's own log says how many there were.
    contacts_30d: view.contacts30d ?? 0,
    channel_code: OFFER_CHANNELS.indexOf(channel),
    // The customer's own preferred channel (on the record): people answer where they prefer to be reached.
    preferred_channel: c.preferredChannel === channel ? 1 : 0,
    // The churn score as served (none before a churn model exists), for the retention take-up mixture (retentionTakeUp.ts).
    churn_risk: scores.churn_risk ?? null,
  };
  // What the customer took up lately (the bank's response log), for rules that do not repeat help already given.
  for (const f of ['guidance', 'retention'] as const) out[`days_since_${f}_taken`] = Math.min(view.daysSinceTakeUp?.[f] ?? 999, 999);
  for (const h of HOLDS) out[`holds_${h}`] = view.holdings.includes(h) ? 1 : 0;
  return out;
}
