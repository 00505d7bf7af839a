/**
 * The bank's standard labels and the extra features the models use beyond the bank pack
 * (contact pressure: how often the bank has been in touch lately, which drives fatigue).
 */
import type { FeatureDef } from '../features/definition.js';
import type { HorizonLabel, ResponseLabel } from './labels.js';

/** Accepted an offer of the action shown within 14 days of being shown it. */
export const OFFER_ACCEPTANCE: ResponseLabel = {
  kind: 'response',
  name: 'offer_acceptance',
  description: 'accepted the action shown (offer_response accepted with the same actionId) within 14 days of being shown it',
  exposure: { events: ['offer_response'], where: 'event.payload.response == "shown"' },
  outcome: { events: ['offer_response'], where: 'event.payload.response == "accepted"' },
  actionField: 'payload.actionId',
  channelField: 'payload.channel',
  withinDays: 14,
};

/** Asked to close the account, or went silent for 90 days, within 90 days of a weekly snapshot (weekly: short logs still give several snapshot dates to split by time). */
export const CHURN: HorizonLabel = {
  kind: 'horizon',
  name: 'churn',
  description: 'asked to close the account (contact tagged close_account) or had no activity for 90 days, within 90 days; customers active in the 90 days before each weekly snapshot',
  everyDays: 7,
  outcome: { events: ['contact_centre'], where: '"close_account" in event.payload.topics' },
  inactiveDays: 90,
  withinDays: 90,
};

/** Settled a loan or mortgage early within 90 days; customers paying a loan in the 45 days before the snapshot. */
export const PREPAYMENT: HorizonLabel = {
  kind: 'horizon',
  name: 'prepayment',
  description: 'settled a loan or mortgage early (loan_repayment kind early_settlement) within 90 days; customers with a scheduled repayment in the 45 days before each weekly snapshot',
  everyDays: 7,
  outcome: { events: ['loan_repayment'], where: 'event.payload.kind == "early_settlement"' },
  atRisk: { events: ['loan_repayment'], where: 'event.payload.kind == "scheduled"', lookbackDays: 45 },
  withinDays: 90,
};

/** Contact-pressure features: the twin (and real customers) tire of repeated offers. */
export const CONTACT_FEATURES: FeatureDef[] = [
  { name: 'offers_shown_7d', description: 'Offers shown to the customer in the last 7 days (contact pressure).', unit: 'count', events: ['offer_response'], where: 'event.payload.response == "shown"', aggregation: 'count', window: '7d' },
  { name: 'offers_shown_30d', description: 'Offers shown to the customer in the last 30 days (contact pressure).', unit: 'count', events: ['offer_response'], where: 'event.payload.response == "shown"', aggregation: 'count', window: '30d' },
  { name: 'days_since_last_offer', description: 'Days since an offer was last shown.', unit: 'days', events: ['offer_response'], where: 'event.payload.response == "shown"', aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'offers_accepted_365d', description: 'Offers accepted in the last 365 days.', unit: 'count', events: ['offer_response'], where: 'event.payload.response == "accepted"', aggregation: 'count', window: '365d' },
];
