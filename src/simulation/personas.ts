/**
 * The hidden personas of the twin. A customer is a blend of two personas (weights drawn
 * per customer), so behaviour is a distribution, not a lookup table. The engine never
 * sees the persona; it is in the ground truth only.
 */
import { CHANNEL_NAMES, type Channel } from '../core/channels.js';

export const PERSONAS = ['traveller', 'young_professional', 'cash_rich_saver', 'mortgage_family', 'stretched', 'retiree', 'student'] as const;
export type PersonaName = (typeof PERSONAS)[number];

/** Merchant category codes the twin spends at (ISO 18245). */
export const MCC = ['5411', '5812', '5814', '5541', '4111', '4511', '7011', '7512', '5651', '5732', '5912', '4900', '4814', '7832', '8220', '8351', '5200', '5999', '4722', '5813', '7995', '8011'] as const;
export const MCC_TRAVEL = new Set([5, 6, 7, 18]);

export interface PersonaParams {
  age: [number, number];
  /** Net monthly income, median (GBP) and log-sd. */
  income: [number, number];
  /** Opening current-account and savings balances, medians (GBP). */
  current: number;
  savings: number;
  /** Card payments per day and the median amount (GBP). */
  cardPerDay: number;
  spendMedian: number;
  /** Share of card spend abroad (FX). */
  abroad: number;
  loginsPerDay: number;
  webShare: number;
  /** Chance to open the weekly email / a push notification. */
  emailOpen: number;
  pushOpen: number;
  contactsPerMonth: number;
  /** Annual probability of starting to leave, at average engagement and no stress. */
  churnAnnual: number;
  /** Chances to hold each product at the start. */
  hold: { personal_loan: number; mortgage: number; credit_card: number; isa: number; pension: number; savings: number };
  /** Opening chance of each stress state (healthy, stretched, distressed). */
  stress0: [number, number, number];
  /** Daily chance of moving healthy→stretched, stretched→distressed, and back down one step. */
  stressUp: number;
  stressDown: number;
  /** Affinity (log-odds) for each offer channel; a channel not listed is neutral (0). */
  channels: Partial<Record<Channel, number>>;
  /** Affinity (log-odds) for each action family, in ACTION_FAMILIES order. */
  affinity: [number, number, number, number, number, number, number, number, number];
  /** Relative weight of each MCC, in MCC order. */
  mcc: number[];
  /** Weights of risk tolerance none/low/medium/high and sophistication novice/intermediate/experienced. */
  risk: [number, number, number, number];
  sophistication: [number, number, number];
  cashPerWeek: number;
}

const m = (o: Partial<Record<(typeof MCC)[number], number>>): number[] => MCC.map((c) => o[c] ?? 0.05);

export const PERSONA_PARAMS: readonly PersonaParams[] = [
  {
    // traveller
    age: [28, 60], income: [3800, 0.4], current: 4500, savings: 9000, cardPerDay: 2.2, spendMedian: 38, abroad: 0.28,
    loginsPerDay: 0.9, webShare: 0.3, emailOpen: 0.3, pushOpen: 0.25, contactsPerMonth: 0.15, churnAnnual: 0.09,
    hold: { personal_loan: 0.08, mortgage: 0.35, credit_card: 0.55, isa: 0.3, pension: 0.25, savings: 0.7 },
    stress0: [0.85, 0.13, 0.02], stressUp: 0.0015, stressDown: 0.02,
    channels: { push: 0.4, email: 0.3, in_app: 0.6, chatbot: 0, call_centre: -0.6, branch: -0.8, sms: 0.1 },
    affinity: [0.9, -0.6, -0.5, 0.1, 0.3, -0.2, 0, -0.4, 0],
    mcc: m({ '4511': 3, '7011': 3, '7512': 1.5, '4722': 2, '5812': 3, '5411': 3, '5813': 1.5 }),
    risk: [0.05, 0.25, 0.5, 0.2], sophistication: [0.15, 0.5, 0.35], cashPerWeek: 0.4,
  },
  {
    // young_professional
    age: [22, 35], income: [2900, 0.35], current: 2200, savings: 3000, cardPerDay: 3.0, spendMedian: 18, abroad: 0.05,
    loginsPerDay: 2.2, webShare: 0.08, emailOpen: 0.12, pushOpen: 0.35, contactsPerMonth: 0.08, churnAnnual: 0.16,
    hold: { personal_loan: 0.15, mortgage: 0.08, credit_card: 0.4, isa: 0.25, pension: 0.45, savings: 0.5 },
    stress0: [0.75, 0.2, 0.05], stressUp: 0.002, stressDown: 0.02,
    channels: { push: 0.9, email: -0.5, in_app: 1.0, chatbot: 0.4, call_centre: -1.5, branch: -1.8, sms: -0.4 },
    affinity: [0.5, 0.2, -1.2, 0.3, 0.4, 0.1, 0, -0.2, 0],
    mcc: m({ '5812': 3, '5814': 4, '5813': 3, '5999': 3, '4111': 3, '5411': 3, '7832': 1.5, '4814': 1 }),
    risk: [0.05, 0.2, 0.45, 0.3], sophistication: [0.4, 0.45, 0.15], cashPerWeek: 0.2,
  },
  {
    // cash_rich_saver: at least £10,000 idle in current/savings (the FCA targeted-support case)
    age: [40, 75], income: [3200, 0.4], current: 6000, savings: 24000, cardPerDay: 1.2, spendMedian: 30, abroad: 0.04,
    loginsPerDay: 0.5, webShare: 0.5, emailOpen: 0.4, pushOpen: 0.15, contactsPerMonth: 0.12, churnAnnual: 0.06,
    hold: { personal_loan: 0.02, mortgage: 0.15, credit_card: 0.3, isa: 0.2, pension: 0.3, savings: 0.95 },
    stress0: [0.95, 0.05, 0], stressUp: 0.0004, stressDown: 0.03,
    channels: { push: -0.4, email: 0.7, in_app: 0.1, chatbot: -0.6, call_centre: 0.2, branch: 0.4, sms: 0.2 },
    affinity: [-0.6, -1.5, -1.0, 1.1, 1.0, 0.4, 0, 0.4, 0],
    mcc: m({ '5411': 4, '5912': 1.5, '4900': 1, '5200': 1.5, '5812': 1 }),
    risk: [0.25, 0.45, 0.25, 0.05], sophistication: [0.45, 0.4, 0.15], cashPerWeek: 0.6,
  },
  {
    // mortgage_family
    age: [30, 50], income: [4200, 0.35], current: 2500, savings: 5000, cardPerDay: 3.2, spendMedian: 32, abroad: 0.03,
    loginsPerDay: 1.3, webShare: 0.25, emailOpen: 0.25, pushOpen: 0.25, contactsPerMonth: 0.2, churnAnnual: 0.07,
    hold: { personal_loan: 0.2, mortgage: 0.95, credit_card: 0.5, isa: 0.25, pension: 0.5, savings: 0.6 },
    stress0: [0.7, 0.25, 0.05], stressUp: 0.0018, stressDown: 0.015,
    channels: { push: 0.2, email: 0.4, in_app: 0.5, chatbot: 0, call_centre: -0.2, branch: -0.4, sms: 0.2 },
    affinity: [0.1, 0.4, 1.2, 0.2, -0.1, 0.1, 0, 0.1, 0],
    mcc: m({ '5411': 5, '8351': 2, '5541': 2.5, '5651': 2, '4900': 1, '5200': 1.5, '5814': 1.5 }),
    risk: [0.1, 0.4, 0.4, 0.1], sophistication: [0.3, 0.5, 0.2], cashPerWeek: 0.4,
  },
  {
    // stretched: overdraft, missed payments
    age: [20, 60], income: [1600, 0.3], current: 150, savings: 100, cardPerDay: 2.0, spendMedian: 16, abroad: 0.01,
    loginsPerDay: 1.6, webShare: 0.15, emailOpen: 0.15, pushOpen: 0.3, contactsPerMonth: 0.45, churnAnnual: 0.2,
    hold: { personal_loan: 0.4, mortgage: 0.1, credit_card: 0.55, isa: 0.02, pension: 0.2, savings: 0.15 },
    stress0: [0.3, 0.45, 0.25], stressUp: 0.006, stressDown: 0.01,
    channels: { push: 0.5, email: -0.3, in_app: 0.6, chatbot: 0.6, call_centre: 0.2, branch: -0.5, sms: 0.5 },
    affinity: [0.8, 1.0, -0.8, -1.4, -2.0, -1.0, 0, 1.0, 0],
    mcc: m({ '5411': 5, '5814': 3, '7995': 1.5, '5541': 1.5, '4814': 1, '5999': 1.5 }),
    risk: [0.35, 0.4, 0.2, 0.05], sophistication: [0.7, 0.25, 0.05], cashPerWeek: 0.8,
  },
  {
    // retiree
    age: [66, 90], income: [1900, 0.35], current: 3500, savings: 14000, cardPerDay: 1.0, spendMedian: 25, abroad: 0.03,
    loginsPerDay: 0.25, webShare: 0.6, emailOpen: 0.35, pushOpen: 0.05, contactsPerMonth: 0.3, churnAnnual: 0.04,
    hold: { personal_loan: 0.02, mortgage: 0.05, credit_card: 0.25, isa: 0.35, pension: 0.05, savings: 0.8 },
    stress0: [0.88, 0.1, 0.02], stressUp: 0.0006, stressDown: 0.02,
    channels: { push: -1.2, email: 0.3, in_app: -0.8, chatbot: -1.0, call_centre: 0.9, branch: 1.3, sms: 0.4 },
    affinity: [-1.0, -1.5, -1.2, 0.6, 0.3, -2.5, 0, 0.5, 0],
    mcc: m({ '5411': 5, '5912': 2.5, '8011': 1, '4900': 1, '5200': 1, '5812': 1 }),
    risk: [0.3, 0.45, 0.2, 0.05], sophistication: [0.4, 0.4, 0.2], cashPerWeek: 1.2,
  },
  {
    // student
    age: [18, 24], income: [900, 0.3], current: 600, savings: 400, cardPerDay: 2.5, spendMedian: 11, abroad: 0.04,
    loginsPerDay: 2.0, webShare: 0.1, emailOpen: 0.08, pushOpen: 0.3, contactsPerMonth: 0.06, churnAnnual: 0.22,
    hold: { personal_loan: 0.02, mortgage: 0, credit_card: 0.1, isa: 0.02, pension: 0.02, savings: 0.2 },
    stress0: [0.6, 0.32, 0.08], stressUp: 0.003, stressDown: 0.015,
    channels: { push: 1.0, email: -0.8, in_app: 1.0, chatbot: 0.6, call_centre: -1.8, branch: -1.5, sms: -0.6 },
    affinity: [0.4, -0.8, -2.5, 0.2, -1.0, -2.5, 0, 0.2, 0],
    mcc: m({ '5814': 5, '5813': 3, '5411': 3, '4111': 3, '8220': 1.5, '7832': 1.5, '4814': 1 }),
    risk: [0.15, 0.35, 0.35, 0.15], sophistication: [0.7, 0.25, 0.05], cashPerWeek: 0.2,
  },
];

/** Cumulative MCC weights per persona, for inverse-CDF draws. */
export const MCC_CDF: readonly Float64Array[] = PERSONA_PARAMS.map((p) => cdf(p.mcc));

/** Cumulative distribution of a weight vector. */
export function cdf(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let s = 0;
  weights.forEach((w, k) => {
    s += w;
    out[k] = s;
  });
  for (let k = 0; k < out.length; k++) out[k] = out[k]! / s;
  return out;
}

/** Index drawn from a cumulative distribution with a uniform u. */
export function drawIndex(cumulative: Float64Array, u: number): number {
  for (let k = 0; k < cumulative.length; k++) if (u < cumulative[k]!) return k;
  return cumulative.length - 1;
}

const col = (f: (p: PersonaParams) => number): Float64Array => Float64Array.from(PERSONA_PARAMS.map(f));

/** Per-persona columns for the hot loop (blended per customer with Population.mix). */
export const P = {
  income: col((p) => p.income[0]),
  current: col((p) => p.current),
  savings: col((p) => p.savings),
  cardPerDay: col((p) => p.cardPerDay),
  spendMedian: col((p) => p.spendMedian),
  abroad: col((p) => p.abroad),
  loginsPerDay: col((p) => p.loginsPerDay),
  webShare: col((p) => p.webShare),
  emailOpen: col((p) => p.emailOpen),
  pushOpen: col((p) => p.pushOpen),
  contactsPerDay: col((p) => p.contactsPerMonth / 30),
  churnDaily: col((p) => -Math.log(1 - p.churnAnnual) / 365),
  stressUp: col((p) => p.stressUp),
  stressDown: col((p) => p.stressDown),
  cashPerDay: col((p) => p.cashPerWeek / 7),
};
export const CHANNEL_AFFINITY: readonly Float64Array[] = CHANNEL_NAMES.map((c) => col((p) => p.channels[c] ?? 0));
export const FAMILY_AFFINITY: readonly Float64Array[] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((f) => col((p) => p.affinity[f]!));
export const RISK_CDF: readonly Float64Array[] = PERSONA_PARAMS.map((p) => cdf(p.risk));
export const SOPHISTICATION_CDF: readonly Float64Array[] = PERSONA_PARAMS.map((p) => cdf(p.sophistication));
export const STRESS0_CDF: readonly Float64Array[] = PERSONA_PARAMS.map((p) => cdf(p.stress0));
