import { z } from 'zod';
import { Channel } from './channels.js';
import { Money } from './money.js';

/**
 * The event model. One zod schema per event type: it is the TypeScript type, the HTTP
 * validation and (through z.toJSONSchema) the OpenAPI document.
 *
 * Sign convention for money: `amount.minor` is signed from the customer's point of view,
 * money in > 0, money out < 0. The data-quality rule `sign` rejects the wrong sign.
 */

/** The customer id stored for global events (market_event) that belong to no customer. */
export const GLOBAL_CUSTOMER = '*';

export const SCHEMA_VERSION = 1 as const;

const Id = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'may hold letters, digits and . _ : @ - and must start with a letter or digit');

/** ISO 8601 timestamp with an explicit offset (Z or ±hh:mm). */
export const Timestamp = z.iso.datetime({ offset: true, message: 'must be ISO 8601 with an offset, e.g. 2026-03-01T09:30:00Z' });

export const DigitalChannel = z.enum(['mobile_app', 'web']);
export { Channel } from './channels.js';
export const AccountType = z.enum(['current', 'savings', 'credit_card', 'loan', 'mortgage', 'isa', 'investment', 'pension']);
export const LoanProduct = z.enum(['personal_loan', 'mortgage', 'car_finance', 'credit_card', 'overdraft']);
export const ConsentPurpose = z.enum(['marketing', 'profiling', 'personalised_offers', 'third_party_sharing', 'research']);
export type ConsentPurpose = z.infer<typeof ConsentPurpose>;

const base = {
  eventId: Id.describe("The sender's idempotency key: resending the same event is a no-op."),
  customerId: Id,
  occurredAt: Timestamp,
  schemaVersion: z.literal(SCHEMA_VERSION, { message: `must be ${SCHEMA_VERSION}` }),
};

function event<T extends string, P extends z.ZodRawShape>(type: T, payload: P, description: string) {
  return z.object({ ...base, type: z.literal(type), payload: z.object(payload).strict() }).strict().describe(description);
}

const Tag = z.string().regex(/^[a-z0-9_]{1,40}$/, 'tags are lower-case letters, digits and _ (1-40)');
const AccountId = Id.optional();

// --- transactions -------------------------------------------------------------------
export const DepositEvent = event('deposit', { amount: Money, accountId: AccountId, method: z.enum(['cash', 'cheque', 'branch', 'atm', 'online']).optional() }, 'Money paid into an account (amount > 0).');
export const WithdrawalEvent = event('withdrawal', { amount: Money, accountId: AccountId, method: z.enum(['atm', 'branch', 'cashback']).optional() }, 'Cash taken out (amount < 0).');
export const CardPaymentEvent = event(
  'card_payment',
  {
    amount: Money,
    accountId: AccountId,
    merchantCategoryCode: z.string().regex(/^\d{4}$/, 'must be a four-digit ISO 18245 merchant category code'),
    merchantCountry: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code').optional(),
    originalAmount: Money.optional().describe('The amount in the merchant currency when it differs (FX).'),
    cardType: z.enum(['debit', 'credit']).optional(),
  },
  'A card purchase (amount < 0), with the merchant category code.',
);
export const TransferInEvent = event('transfer_in', { amount: Money, accountId: AccountId, counterpartyBank: z.string().min(1).max(64).optional(), ownAccount: z.boolean().optional() }, 'Money received by transfer (amount > 0).');
export const TransferOutEvent = event(
  'transfer_out',
  {
    amount: Money,
    accountId: AccountId,
    counterpartyBank: z.string().min(1).max(64).describe('The receiving bank (name, BIC or sort-code prefix); "self" for this bank.'),
    ownAccount: z.boolean().optional().describe("True when the money goes to the customer's own account elsewhere."),
  },
  'Money sent by transfer (amount < 0), naming the receiving bank.',
);
export const SalaryEvent = event('salary', { amount: Money, accountId: AccountId, employerId: Id.optional() }, 'Salary or pension income (amount > 0).');
export const LoanApplicationEvent = event(
  'loan_application',
  { loanId: Id, product: LoanProduct, requested: Money, termMonths: z.number().int().min(1).max(600).optional(), outcome: z.enum(['submitted', 'approved', 'declined', 'withdrawn']) },
  'An application for credit (requested > 0).',
);
export const LoanRepaymentEvent = event(
  'loan_repayment',
  {
    loanId: Id,
    amount: Money,
    kind: z.enum(['scheduled', 'overpayment', 'early_settlement']).default('scheduled'),
    status: z.enum(['paid', 'late', 'missed']).default('paid'),
    remainingBalance: Money.optional(),
  },
  'A loan repayment (amount < 0; 0 when missed).',
);
export const InvestmentTradeEvent = event(
  'investment_trade',
  { side: z.enum(['buy', 'sell']), amount: Money, instrumentType: z.enum(['fund', 'etf', 'equity', 'bond', 'cash_isa', 'other']), wrapper: z.enum(['isa', 'gia', 'pension', 'none']).optional() },
  'An investment trade: buy takes cash out (amount < 0), sell brings it in (amount > 0).',
);
export const BalanceSnapshotEvent = event('balance_snapshot', { accountId: Id, accountType: AccountType, balance: Money }, 'The end-of-day balance of one account (any sign).');

// --- interactions -------------------------------------------------------------------
export const LoginEvent = event('login', { channel: DigitalChannel }, 'A login to the app or the website.');
export const ScreenViewEvent = event('screen_view', { channel: DigitalChannel, screen: z.string().min(1).max(80) }, 'A screen or page viewed.');
export const FeatureUseEvent = event('feature_use', { channel: DigitalChannel, feature: z.string().min(1).max(80) }, 'A feature used (e.g. budgeting tool, card freeze).');
export const EmailOpenEvent = event('email_open', { campaignId: Id.optional(), decisionId: Id.optional() }, 'A marketing or service email opened.');
export const EmailClickEvent = event('email_click', { campaignId: Id.optional(), decisionId: Id.optional(), link: z.string().max(200).optional() }, 'A link in an email clicked.');
export const PushOpenEvent = event('push_open', { campaignId: Id.optional(), decisionId: Id.optional() }, 'A push notification opened.');
export const ContactCentreEvent = event(
  'contact_centre',
  {
    channel: z.enum(['phone', 'chat', 'chatbot', 'branch', 'secure_message']),
    topics: z.array(Tag).min(1, 'needs at least one topic tag').max(20),
    durationSeconds: z.number().int().min(0).max(86_400).optional(),
    sentiment: z.enum(['negative', 'neutral', 'positive']).optional(),
  },
  'A contact with the contact centre or chatbot, with topic tags (e.g. complaint, hardship).',
);

// --- life, offers, consent, market ----------------------------------------------------
export const LifeEventEvent = event(
  'life_event',
  { kind: z.enum(['new_job', 'job_loss', 'house_move', 'marriage', 'divorce', 'child', 'retirement', 'bereavement', 'graduation', 'illness']), source: z.enum(['declared', 'inferred']).default('declared') },
  'A life event the customer told us of, or one inferred.',
);
export const OfferResponseEvent = event(
  'offer_response',
  { decisionId: Id, actionId: Id, channel: Channel, response: z.enum(['shown', 'clicked', 'accepted', 'declined']) },
  'What the customer did with an offer, linked to the decision that made it.',
);
export const ConsentChangeEvent = event(
  'consent_change',
  { purpose: ConsentPurpose, channel: Channel.optional(), granted: z.boolean(), source: z.enum(['app', 'web', 'branch', 'call_centre', 'email', 'migration']).optional() },
  'A consent granted or withdrawn for a purpose (and optionally a channel).',
);

export const DeliveryReceiptEvent = event(
  'delivery_receipt',
  {
    deliveryKey: z.string().min(1).max(400).describe('The outbox entry (decisionId:actionId:channel)'),
    decisionId: Id,
    actionId: Id,
    channel: Channel,
    status: z.enum(['delivered', 'failed', 'opened', 'clicked', 'bounced']),
    attempts: z.number().int().min(0).max(1000).optional(),
    error: z.string().max(300).optional(),
  },
  'What happened to one delivery: delivered or failed (written by nextbest), or opened, clicked or bounced (reported by a channel). A failed or bounced delivery releases its contact.',
);

const MarketEventSchema = z
  .object({
    eventId: base.eventId,
    customerId: z.literal(GLOBAL_CUSTOMER).default(GLOBAL_CUSTOMER).describe('Global events belong to no customer; omit it or send "*".'),
    occurredAt: Timestamp,
    schemaVersion: base.schemaVersion,
    type: z.literal('market_event'),
    payload: z
      .object({
        kind: z.enum(['base_rate_change', 'inflation_release', 'market_shock', 'other']),
        region: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code').optional(),
        value: z.number().finite().optional(),
        previousValue: z.number().finite().optional(),
        unit: z.enum(['percent', 'bps', 'index']).optional(),
        description: z.string().max(200).optional(),
      })
      .strict(),
  })
  .strict()
  .describe('A global market event (e.g. a base-rate change); it belongs to no customer.');
export const MarketEvent = MarketEventSchema;

export const EVENT_SCHEMAS = {
  deposit: DepositEvent,
  withdrawal: WithdrawalEvent,
  card_payment: CardPaymentEvent,
  transfer_in: TransferInEvent,
  transfer_out: TransferOutEvent,
  salary: SalaryEvent,
  loan_application: LoanApplicationEvent,
  loan_repayment: LoanRepaymentEvent,
  investment_trade: InvestmentTradeEvent,
  balance_snapshot: BalanceSnapshotEvent,
  login: LoginEvent,
  screen_view: ScreenViewEvent,
  feature_use: FeatureUseEvent,
  email_open: EmailOpenEvent,
  email_click: EmailClickEvent,
  push_open: PushOpenEvent,
  contact_centre: ContactCentreEvent,
  life_event: LifeEventEvent,
  offer_response: OfferResponseEvent,
  consent_change: ConsentChangeEvent,
  delivery_receipt: DeliveryReceiptEvent,
  market_event: MarketEvent,
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];

export const BankEvent = z.discriminatedUnion('type', [
  DepositEvent, WithdrawalEvent, CardPaymentEvent, TransferInEvent, TransferOutEvent, SalaryEvent,
  LoanApplicationEvent, LoanRepaymentEvent, InvestmentTradeEvent, BalanceSnapshotEvent,
  LoginEvent, ScreenViewEvent, FeatureUseEvent, EmailOpenEvent, EmailClickEvent, PushOpenEvent, ContactCentreEvent,
  LifeEventEvent, OfferResponseEvent, ConsentChangeEvent, DeliveryReceiptEvent, MarketEvent,
]);
/** A validated event as the sender meant it. */
export type BankEvent = z.infer<typeof BankEvent>;
export type EventOf<T extends EventType> = Extract<BankEvent, { type: T }>;

/** Where the sign of `payload.amount.minor` is fixed by the type: +1 money in, -1 money out. */
export const AMOUNT_SIGN: Partial<Record<EventType, 1 | -1>> = {
  deposit: 1,
  withdrawal: -1,
  card_payment: -1,
  transfer_in: 1,
  transfer_out: -1,
  salary: 1,
  loan_repayment: -1,
};

/** An event as the log holds it: the sender's event plus what the log adds. */
export interface StoredEvent {
  /** Position in the log; increases with arrival, not with occurredAt. */
  seq: number;
  /** occurredAt as epoch milliseconds (UTC). */
  t: number;
  /** When the log accepted it (epoch ms, from the engine clock). */
  recordedAt: number;
  event: BankEvent;
}
