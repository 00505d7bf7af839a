/**
 * Code tables shared by the behaviour (which writes codes into the day buffer) and the
 * encoder (which turns them into events). Index 0 of BANKS is this bank.
 */
export const BANKS = ['self', 'Barclays', 'HSBC', 'Lloyds', 'NatWest', 'Santander', 'Nationwide', 'Monzo', 'Starling', 'Chase UK', 'Revolut'] as const;
export const DEPOSIT_METHODS = ['cash', 'cheque', 'branch', 'atm', 'online'] as const;
export const WITHDRAWAL_METHODS = ['atm', 'branch', 'cashback'] as const;
/** Card countries: 0 is home (GB); the rest with their currency and units per GBP (minor units per penny). */
export const COUNTRIES = ['GB', 'ES', 'FR', 'IT', 'PT', 'DE', 'GR', 'US', 'JP'] as const;
export const COUNTRY_CURRENCY = ['GBP', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'USD', 'JPY'] as const;
/** Minor units of the local currency per penny. */
export const COUNTRY_FX = [1, 1.17, 1.17, 1.17, 1.17, 1.17, 1.17, 1.27, 1.9] as const;
export const SCREENS = ['home', 'accounts', 'transactions', 'payments', 'cards', 'savings', 'loans', 'investments', 'offers', 'help', 'settings'] as const;
export const FEATURES = ['budgeting_tool', 'card_freeze', 'savings_pot', 'round_up', 'spending_insights', 'statement_download', 'direct_debits', 'travel_notice'] as const;
export const CONTACT_CHANNELS = ['phone', 'chat', 'chatbot', 'branch', 'secure_message'] as const;
export const TOPICS = ['balance_query', 'card_query', 'fraud_report', 'address_change', 'hardship', 'payment_difficulty', 'complaint', 'close_account', 'rate_query', 'mortgage_query', 'travel'] as const;
export const TOPIC = Object.fromEntries(TOPICS.map((t, k) => [t, k])) as Record<(typeof TOPICS)[number], number>;
export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;
export const ACCOUNT_TYPES = ['current', 'savings', 'credit_card', 'loan', 'mortgage', 'isa', 'investment', 'pension'] as const;
export const ACCOUNT = Object.fromEntries(ACCOUNT_TYPES.map((t, k) => [t, k])) as Record<(typeof ACCOUNT_TYPES)[number], number>;
export const ACCOUNT_SUFFIX = ['cur', 'sav', 'cc', 'ln', 'mtg', 'isa', 'inv', 'pen'] as const;
export const LOAN_PRODUCTS = ['personal_loan', 'mortgage', 'car_finance', 'credit_card', 'overdraft'] as const;
export const LOAN_OUTCOMES = ['submitted', 'approved', 'declined', 'withdrawn'] as const;
export const REPAYMENT_KINDS = ['scheduled', 'overpayment', 'early_settlement'] as const;
export const REPAYMENT_STATUS = ['paid', 'late', 'missed'] as const;
export const TRADE_SIDES = ['buy', 'sell'] as const;
export const INSTRUMENTS = ['fund', 'etf', 'equity', 'bond', 'cash_isa', 'other'] as const;
export const WRAPPERS = ['isa', 'gia', 'pension', 'none'] as const;
export const OFFER_RESPONSES = ['shown', 'clicked', 'accepted', 'declined'] as const;
export const RESPONSE = { shown: 0, clicked: 1, accepted: 2, declined: 3 } as const;
/** Salary payers: 0 an employer (employerId emp-<n>), 1 the state pension. */
export const PAYER_PENSION = 1;
