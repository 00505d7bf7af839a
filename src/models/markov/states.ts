/**
 * The two chains the bank uses, with the rules that turn a customer's month into a state.
 * Activity: active → declining → dormant → closed (closed absorbing), for churn.
 * Financial stress: current → stretched → arrears (30/60/90+ days) → default (absorbing),
 * for early help with payments. Thresholds are parameters with documented defaults.
 */

/** Activity states in their natural order; `closed` is absorbing. */
export const ACTIVITY_STATES = ['active', 'declining', 'dormant', 'closed'] as const;
export type ActivityState = (typeof ACTIVITY_STATES)[number];
export const ACTIVITY_ABSORBING: readonly ActivityState[] = ['closed'];

/** Financial-stress states in order of severity; `default` is absorbing. */
export const STRESS_STATES = ['current', 'stretched', 'arrears30', 'arrears60', 'arrears90plus', 'default'] as const;
export type StressState = (typeof STRESS_STATES)[number];
export const STRESS_ABSORBING: readonly StressState[] = ['default'];

/** One customer-month of activity. */
export interface ActivityMonth {
  /** Customer-initiated transactions and logins in the month. */
  interactions: number;
  /** The customer's average monthly interactions over the previous months (their own baseline). */
  baseline: number;
  /** The relationship was closed in or before this month. */
  closed: boolean;
}

export interface ActivityThresholds {
  /** Below this share of their own baseline, an active customer is declining (default 0.5). */
  decliningShare: number;
  /** At or below this many interactions, the customer is dormant (default 0). */
  dormantAtMost: number;
}

export const DEFAULT_ACTIVITY_THRESHOLDS: ActivityThresholds = { decliningShare: 0.5, dormantAtMost: 0 };

/** The activity state of one customer-month. */
export function activityState(m: ActivityMonth, th: ActivityThresholds = DEFAULT_ACTIVITY_THRESHOLDS): ActivityState {
  if (m.closed) return 'closed';
  if (m.interactions <= th.dormantAtMost) return 'dormant';
  if (m.baseline > 0 && m.interactions < th.decliningShare * m.baseline) return 'declining';
  return 'active';
}

/** One customer-month of credit behaviour. */
export interface CreditMonth {
  /** Days the oldest unpaid instalment is past due at month end (0 when up to date). */
  daysPastDue: number;
  /** Share of the overdraft or card limit in use at month end (0..1+). */
  limitUtilisation: number;
  /** The bank has declared default (charge-off, 180+ days or insolvency). */
  defaulted: boolean;
}

/** Utilisation at or above this counts as stretched (default 0.9). */
export const DEFAULT_STRETCHED_UTILISATION = 0.9;

/** The financial-stress state of one customer-month. */
export function stressState(m: CreditMonth, stretchedUtilisation = DEFAULT_STRETCHED_UTILISATION): StressState {
  if (m.defaulted) return 'default';
  if (m.daysPastDue >= 90) return 'arrears90plus';
  if (m.daysPastDue >= 60) return 'arrears60';
  if (m.daysPastDue >= 30) return 'arrears30';
  if (m.daysPastDue > 0 || m.limitUtilisation >= stretchedUtilisation) return 'stretched';
  return 'current';
}
