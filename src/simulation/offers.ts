/**
 * What the bank can offer and where: the action families and channels of the closed loop,
 * with the revenue the twin books when an offer is taken up.
 */
import { CHANNEL_NAMES, type Channel } from '../core/channels.js';

export const ACTION_FAMILIES = ['credit_card', 'personal_loan', 'refinancing', 'savings', 'investment', 'pension', 'retention', 'guidance', 'service_message'] as const;
export type ActionFamily = (typeof ACTION_FAMILIES)[number];

/** The bank's channels (core/channels.ts); a channel's code in the twin is its place in that list. */
export const OFFER_CHANNELS = CHANNEL_NAMES;
export type OfferChannel = Channel;

export const FAMILY = Object.fromEntries(ACTION_FAMILIES.map((f, k) => [f, k])) as Record<ActionFamily, number>;
export const CHANNEL = Object.fromEntries(OFFER_CHANNELS.map((c, k) => [c, k])) as Record<OfferChannel, number>;

/** Families whose hidden take-up falls without the marketing consent (truth.ts); the rest are service or duty of care. */
export const IS_MARKETING: readonly boolean[] = ACTION_FAMILIES.map((f) => f !== 'guidance' && f !== 'service_message' && f !== 'retention');

/** The consents an offer may depend on, as the customer has them today. */
export interface OfferConsents {
  marketing: boolean;
  personalised_offers: boolean;
}

/**
 * Whether an offer of the family needs marketing consent, as the engine's consent policy
 * asks it (decisioning/policies/consent.ts): a product or a retention offer is marketing;
 * a retention call to a customer who has complained is service (putting it right, no sale),
 * as are guidance and service messages.
 */
export function isMarketingOffer(family: ActionFamily, complaints: number): boolean {
  if (family === 'retention') return complaints < 1;
  return IS_MARKETING[FAMILY[family]]!;
}

/**
 * Whether the customer's consents allow the offer: a marketing offer needs `marketing` and
 * `personalised_offers` (it is picked from the customer's data). Every arm of the yardstick,
 * engine and reference policies alike, is held to this, so none reaches customers the
 * others may not.
 */
export function consentAllows(consents: OfferConsents, family: ActionFamily, complaints: number): boolean {
  return !isMarketingOffer(family, complaints) || (consents.marketing && consents.personalised_offers);
}

/** Revenue (GBP) booked when an offer of the family is accepted: first-year margin, not lifetime. */
export const ACCEPT_REVENUE: readonly number[] = [
  140, // credit_card: interchange + interest, first year
  520, // personal_loan
  380, // refinancing: keeps the mortgage margin in-house
  90, // savings: deposit margin on the moved balance
  260, // investment (ISA): platform and fund fees
  300, // pension: transfer-in fees
  0, // retention: its value shows up as the customer's margin kept (see revenue per active day)
  0, // guidance
  0, // service_message
];

/** Holding codes (bit positions) of the product families a customer may hold. */
export const HOLDINGS = ['current_account', 'savings', 'credit_card', 'personal_loan', 'mortgage', 'isa', 'pension', 'overdraft'] as const;
export type HoldingName = (typeof HOLDINGS)[number];
export const HOLD = Object.fromEntries(HOLDINGS.map((h, k) => [h, 1 << k])) as Record<HoldingName, number>;

/** The holding an accepted family adds (0: none). */
export const FAMILY_HOLDING: readonly number[] = [HOLD.credit_card, HOLD.personal_loan, 0, HOLD.savings, HOLD.isa, HOLD.pension, 0, 0, 0];

/** Holdings as the Customer record names them. */
export function holdingNames(bits: number): string[] {
  return HOLDINGS.filter((_, k) => (bits & (1 << k)) !== 0);
}
