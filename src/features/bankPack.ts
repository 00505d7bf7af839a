import type { FeatureDef } from './definition.js';

/**
 * The bank feature pack: behavioural features a retail bank would recognise, in pounds
 * (amounts are minor units × 0.01; money out is made positive with scale -0.01).
 * docs/features.md documents each one; `nextbest features list` prints them.
 */

const OUT = -0.01;
const IN = 0.01;
const DEPOSIT_ACCOUNTS = 'event.payload.accountType in ["current", "savings", "isa"]';
const SAVINGS_ACCOUNTS = 'event.payload.accountType in ["savings", "isa"]';
const CREDIT_ACCOUNTS = 'event.payload.accountType in ["credit_card", "loan"]';
const GROCERY_MCC = '["5411", "5422", "5441", "5451", "5462", "5499"]';
const DINING_MCC = '["5812", "5813", "5814"]';
const TRAVEL = '(event.payload.merchantCategoryCode in ["4111", "4112", "4131", "4411", "4511", "4722", "7011", "7012", "7512"] || (event.payload.merchantCategoryCode >= "3000" && event.payload.merchantCategoryCode <= "3999"))';
const FX = '(has(event.payload.merchantCountry) && event.payload.merchantCountry != "GB") || has(event.payload.originalAmount)';
const OTHER_BANK = 'event.payload.counterpartyBank != "self" && !(has(event.payload.ownAccount) && event.payload.ownAccount)';
/**
 * Help the customer took up: an accepted response to one of the built-in catalogue's guidance
 * or retention actions (catalogue/default.yaml), so its rules do not offer help again at once.
 * A bank with its own action ids names them here or in its own feature file.
 */
const GUIDANCE_ACTIONS = '["help_repayments", "guide_money_help", "guide_pension_wise"]';
const RETENTION_ACTIONS = '["ret_loyalty_rate", "ret_service_call"]';
/** Market events of the bank's own market (no region given counts as it). */
const HOME_MARKET = '(!has(event.payload.region) || event.payload.region == "GB")';
const BASE_RATE = `event.payload.kind == "base_rate_change" && ${HOME_MARKET}`;
/** A rate in percent, from percent or basis points. */
const PERCENT = '(has(event.payload.unit) && event.payload.unit == "bps" ? 0.01 : 1.0)';
const RATE_LEVEL = `event.payload.value * ${PERCENT}`;
/** A base-rate decision's step: the new rate minus the previous one, in percentage points. */
const RATE_STEP = `(event.payload.value - event.payload.previousValue) * ${PERCENT}`;
const CUSTOMER_ACTIVITY = ['deposit', 'withdrawal', 'card_payment', 'transfer_in', 'transfer_out', 'loan_application', 'investment_trade', 'login', 'screen_view', 'feature_use', 'email_open', 'email_click', 'push_open', 'contact_centre', 'offer_response'];

export const BANK_PACK: FeatureDef[] = [
  // --- balances -------------------------------------------------------------------------
  { name: 'deposit_balance_sum_30d', description: 'Sum of end-of-day balances of current, savings and ISA accounts over the last 30 days (helper for the average).', unit: 'GBP·days', events: ['balance_snapshot'], where: DEPOSIT_ACCOUNTS, value: 'payload.balance.minor', scale: IN, aggregation: 'sum', window: '30d' },
  { name: 'deposit_balance_days_30d', description: 'Days in the last 30 with a deposit-account balance snapshot (helper for the average).', unit: 'days', events: ['balance_snapshot'], where: DEPOSIT_ACCOUNTS, aggregation: 'active_days', window: '30d' },
  { name: 'avg_monthly_balance', description: 'Average monthly balance: mean end-of-day total of current, savings and ISA balances over the last 30 days.', unit: 'GBP', expr: 'deposit_balance_sum_30d / deposit_balance_days_30d' },
  { name: 'current_balance_avg_30d', description: 'Mean end-of-day current-account balance over the last 30 days.', unit: 'GBP', events: ['balance_snapshot'], where: 'event.payload.accountType == "current"', value: 'payload.balance.minor', scale: IN, aggregation: 'mean', window: '30d' },
  { name: 'current_balance_min_90d', description: 'Lowest end-of-day current-account balance in the last 90 days.', unit: 'GBP', events: ['balance_snapshot'], where: 'event.payload.accountType == "current"', value: 'payload.balance.minor', scale: IN, aggregation: 'min', window: '90d' },
  { name: 'current_balance_volatility_90d', description: 'Standard deviation of end-of-day current-account balances over the last 90 days.', unit: 'GBP', events: ['balance_snapshot'], where: 'event.payload.accountType == "current"', value: 'payload.balance.minor', scale: IN, aggregation: 'stddev', window: '90d' },
  { name: 'current_balance_smoothed', description: 'Exponentially weighted mean of current-account balances, half-life 30 days.', unit: 'GBP', events: ['balance_snapshot'], where: 'event.payload.accountType == "current"', value: 'payload.balance.minor', scale: IN, aggregation: 'ewm', window: 'lifetime', halfLifeDays: 30 },
  { name: 'overdraft_days_90d', description: 'Days in the last 90 that ended with the current account overdrawn.', unit: 'days', events: ['balance_snapshot'], where: 'event.payload.accountType == "current" && event.payload.balance.minor < 0', aggregation: 'active_days', window: '90d' },
  { name: 'savings_balance_avg_90d', description: 'Mean end-of-day savings and ISA balance over the last 90 days.', unit: 'GBP', events: ['balance_snapshot'], where: SAVINGS_ACCOUNTS, value: 'payload.balance.minor', scale: IN, aggregation: 'mean', window: '90d' },
  { name: 'credit_owed_avg_90d', description: 'Mean amount owed on credit cards and loans (end-of-day balances, owed as positive) over the last 90 days.', unit: 'GBP', events: ['balance_snapshot'], where: CREDIT_ACCOUNTS, value: 'payload.balance.minor', scale: OUT, aggregation: 'mean', window: '90d' },
  { name: 'savings_vs_credit', description: 'Propensity to save rather than borrow: savings / (savings + credit owed), 90-day means; 1 = saver only, 0 = borrower only.', unit: 'ratio', expr: '(savings_balance_avg_90d > 0.0 ? savings_balance_avg_90d : 0.0) / ((savings_balance_avg_90d > 0.0 ? savings_balance_avg_90d : 0.0) + (credit_owed_avg_90d > 0.0 ? credit_owed_avg_90d : 0.0))' },

  // --- income ---------------------------------------------------------------------------
  { name: 'salary_count_90d', description: 'Salary or pension payments received in the last 90 days.', unit: 'count', events: ['salary'], aggregation: 'count', window: '90d' },
  { name: 'salary_detected', description: '1 when at least two salary payments arrived in the last 90 days, else 0.', unit: 'flag', expr: 'salary_count_90d >= 2.0 ? 1.0 : 0.0' },
  { name: 'salary_mean_365d', description: 'Mean salary payment over the last 365 days.', unit: 'GBP', events: ['salary'], value: 'payload.amount.minor', scale: IN, aggregation: 'mean', window: '365d' },
  { name: 'salary_stddev_365d', description: 'Standard deviation of salary payments over the last 365 days.', unit: 'GBP', events: ['salary'], value: 'payload.amount.minor', scale: IN, aggregation: 'stddev', window: '365d' },
  { name: 'income_regularity', description: 'Income regularity: 1 - coefficient of variation of salary payments over 365 days (1 = identical payments).', unit: 'ratio', expr: '1.0 - salary_stddev_365d / salary_mean_365d' },
  { name: 'income_90d', description: 'Money in over the last 90 days: salary, deposits and transfers in from other people or banks.', unit: 'GBP', events: ['salary', 'deposit', 'transfer_in'], where: '!(has(event.payload.ownAccount) && event.payload.ownAccount)', value: 'payload.amount.minor', scale: IN, aggregation: 'sum', window: '90d' },
  { name: 'days_since_salary', description: 'Days since the latest salary payment.', unit: 'days', events: ['salary'], aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'employers_365d', description: 'Distinct employers paying a salary in the last 365 days.', unit: 'count', events: ['salary'], value: 'payload.employerId', aggregation: 'distinct_count', window: '365d' },

  // --- spending -------------------------------------------------------------------------
  { name: 'cash_withdrawn_90d', description: 'Cash withdrawn in the last 90 days.', unit: 'GBP', events: ['withdrawal'], value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '90d' },
  { name: 'transfers_out_to_others_90d', description: "Money sent by transfer to other people or businesses (not the customer's own accounts) in the last 90 days.", unit: 'GBP', events: ['transfer_out'], where: '!(has(event.payload.ownAccount) && event.payload.ownAccount)', value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '90d' },
  { name: 'loan_repaid_90d', description: 'Loan repayments made in the last 90 days.', unit: 'GBP', events: ['loan_repayment'], value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '90d' },
  { name: 'outgoings_90d', description: 'Money out over the last 90 days: card spend, cash, transfers to others and loan repayments.', unit: 'GBP', expr: 'card_spend_90d + cash_withdrawn_90d + transfers_out_to_others_90d + loan_repaid_90d' },
  { name: 'monthly_outgoings', description: 'Typical monthly outgoings: a third of the last 90 days of money out.', unit: 'GBP', expr: 'outgoings_90d / 3.0' },
  // Balances are known from end-of-day snapshots; a large sum paid in since the latest snapshot
  // is added to them at once, so a £50,000 deposit moves idle cash before the next snapshot.
  { name: 'large_money_in_last', description: 'The latest single payment in of £1,000 or more (deposit, or transfer in from another person or bank).', unit: 'GBP', events: ['deposit', 'transfer_in'], where: '!(has(event.payload.ownAccount) && event.payload.ownAccount) && event.payload.amount.minor >= 100000', value: 'payload.amount.minor', scale: IN, aggregation: 'last', window: 'lifetime' },
  { name: 'days_since_large_money_in', description: 'Days since the latest single payment in of £1,000 or more.', unit: 'days', events: ['deposit', 'transfer_in'], where: '!(has(event.payload.ownAccount) && event.payload.ownAccount) && event.payload.amount.minor >= 100000', aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'days_since_balance_snapshot', description: 'Days since the latest end-of-day balance of a current, savings or ISA account.', unit: 'days', events: ['balance_snapshot'], where: DEPOSIT_ACCOUNTS, aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'money_in_since_snapshot', description: 'A large payment in (£1,000 or more) newer than the latest balance snapshot: not yet in any balance the bank has seen (0 when none).', unit: 'GBP', expr: 'large_money_in_last > 0.0 && (days_since_large_money_in < days_since_balance_snapshot || !(deposit_balance_days_30d > 0.0)) ? large_money_in_last : 0.0' },
  { name: 'cash_estimate', description: 'Cash on deposit as estimated now: the average monthly balance (0 without snapshots) plus a large payment in since the latest snapshot.', unit: 'GBP', expr: '(deposit_balance_days_30d > 0.0 ? avg_monthly_balance : 0.0) + money_in_since_snapshot' },
  { name: 'idle_cash', description: 'Idle cash: estimated cash (average monthly balance, plus a large payment in since the latest balance snapshot) beyond one month of typical outgoings (0 when none).', unit: 'GBP', expr: 'cash_estimate > monthly_outgoings ? cash_estimate - monthly_outgoings : 0.0' },
  { name: 'card_spend_30d', description: 'Card spend in the last 30 days.', unit: 'GBP', events: ['card_payment'], value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '30d' },
  { name: 'card_spend_90d', description: 'Card spend in the last 90 days.', unit: 'GBP', events: ['card_payment'], value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '90d' },
  { name: 'card_spend_groceries_30d', description: 'Card spend at grocers and supermarkets (MCC 5411, 5422, 5441, 5451, 5462, 5499) in the last 30 days.', unit: 'GBP', events: ['card_payment'], where: `event.payload.merchantCategoryCode in ${GROCERY_MCC}`, value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '30d' },
  { name: 'card_spend_dining_30d', description: 'Card spend at restaurants, bars and fast food (MCC 5812-5814) in the last 30 days.', unit: 'GBP', events: ['card_payment'], where: `event.payload.merchantCategoryCode in ${DINING_MCC}`, value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '30d' },
  { name: 'card_spend_travel_90d', description: 'Card spend on airlines, hotels, car hire, rail and travel agents (MCC 3000-3999, 4111-4131, 4411, 4511, 4722, 7011, 7012, 7512) in the last 90 days.', unit: 'GBP', events: ['card_payment'], where: TRAVEL, value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '90d' },
  { name: 'card_spend_fx_90d', description: 'Card spend abroad or in a foreign currency in the last 90 days.', unit: 'GBP', events: ['card_payment'], where: FX, value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '90d' },
  { name: 'travel_fx_share_90d', description: 'Share of 90-day card spend that is travel or foreign-currency spend (travel + FX may overlap; capped at 1).', unit: 'ratio', expr: '(card_spend_travel_90d + card_spend_fx_90d) / card_spend_90d > 1.0 ? 1.0 : (card_spend_travel_90d + card_spend_fx_90d) / card_spend_90d' },
  { name: 'card_spend_gambling_90d', description: 'Card spend on gambling (MCC 7995) in the last 90 days: an affordability and vulnerability signal.', unit: 'GBP', events: ['card_payment'], where: 'event.payload.merchantCategoryCode == "7995"', value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '90d' },
  { name: 'credit_card_spend_90d', description: 'Spend on credit cards in the last 90 days.', unit: 'GBP', events: ['card_payment'], where: 'has(event.payload.cardType) && event.payload.cardType == "credit"', value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '90d' },
  { name: 'merchant_categories_90d', description: 'Distinct merchant categories paid by card in the last 90 days (breadth of use).', unit: 'count', events: ['card_payment'], value: 'payload.merchantCategoryCode', aggregation: 'distinct_count', window: '90d' },
  { name: 'card_spend_weekly_trend_90d', description: 'Slope of weekly card spend over the last 12 whole weeks (GBP per week per week; > 0 rising).', unit: 'GBP/week²', events: ['card_payment'], value: 'payload.amount.minor', scale: OUT, aggregation: 'weekly_slope', window: '90d' },
  { name: 'cash_withdrawals_30d', description: 'Cash withdrawals in the last 30 days.', unit: 'count', events: ['withdrawal'], aggregation: 'count', window: '30d' },

  // --- digital engagement ---------------------------------------------------------------
  { name: 'logins_7d', description: 'Logins to the app or website in the last 7 days.', unit: 'count', events: ['login'], aggregation: 'count', window: '7d' },
  { name: 'logins_30d', description: 'Logins to the app or website in the last 30 days.', unit: 'count', events: ['login'], aggregation: 'count', window: '30d' },
  { name: 'logins_trend_30d', description: 'Logins in the last 30 days divided by logins in the 30 days before (> 1 rising, < 1 falling).', unit: 'ratio', events: ['login'], aggregation: 'trend_ratio', window: '30d' },
  { name: 'app_login_days_30d', description: 'Days in the last 30 with a mobile-app login.', unit: 'days', events: ['login'], where: 'event.payload.channel == "mobile_app"', aggregation: 'active_days', window: '30d' },
  { name: 'days_since_last_login', description: 'Days since the latest login.', unit: 'days', events: ['login'], aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'digital_features_used_90d', description: 'Distinct app or web features used in the last 90 days.', unit: 'count', events: ['feature_use'], value: 'payload.feature', aggregation: 'distinct_count', window: '90d' },
  { name: 'email_opens_30d', description: 'Emails opened in the last 30 days.', unit: 'count', events: ['email_open'], aggregation: 'count', window: '30d' },
  { name: 'email_clicks_30d', description: 'Email links clicked in the last 30 days.', unit: 'count', events: ['email_click'], aggregation: 'count', window: '30d' },
  { name: 'push_opens_30d', description: 'Push notifications opened in the last 30 days.', unit: 'count', events: ['push_open'], aggregation: 'count', window: '30d' },

  // --- transfers, credit and investments ------------------------------------------------
  { name: 'transfers_out_other_banks_90d', description: 'Money sent to other banks in the last 90 days, own accounts there included (a leakage / attrition signal).', unit: 'GBP', events: ['transfer_out'], where: 'event.payload.counterpartyBank != "self"', value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '90d' },
  { name: 'transfers_to_own_accounts_elsewhere_90d', description: "Transfers to the customer's own accounts at other banks in the last 90 days.", unit: 'count', events: ['transfer_out'], where: 'event.payload.counterpartyBank != "self" && has(event.payload.ownAccount) && event.payload.ownAccount', aggregation: 'count', window: '90d' },
  { name: 'other_banks_paid_90d', description: 'Distinct other banks sent money in the last 90 days.', unit: 'count', events: ['transfer_out'], where: OTHER_BANK, value: 'payload.counterpartyBank', aggregation: 'distinct_count', window: '90d' },
  { name: 'loan_balance', description: 'Remaining balance after the latest loan repayment.', unit: 'GBP', events: ['loan_repayment'], value: 'payload.remainingBalance.minor', scale: IN, aggregation: 'last', window: 'lifetime' },
  { name: 'loan_repayments_missed_365d', description: 'Loan repayments missed in the last 365 days.', unit: 'count', events: ['loan_repayment'], where: 'event.payload.status == "missed"', aggregation: 'count', window: '365d' },
  { name: 'loan_repayments_late_365d', description: 'Loan repayments paid late in the last 365 days.', unit: 'count', events: ['loan_repayment'], where: 'event.payload.status == "late"', aggregation: 'count', window: '365d' },
  { name: 'loan_overpayments_365d', description: 'Loan overpayments and early settlements in the last 365 days.', unit: 'count', events: ['loan_repayment'], where: 'event.payload.kind != "scheduled"', aggregation: 'count', window: '365d' },
  { name: 'loan_applications_365d', description: 'Credit applications (any outcome) in the last 365 days.', unit: 'count', events: ['loan_application'], aggregation: 'count', window: '365d' },
  { name: 'investment_buys_365d', description: 'Money put into investments in the last 365 days.', unit: 'GBP', events: ['investment_trade'], where: 'event.payload.side == "buy"', value: 'payload.amount.minor', scale: OUT, aggregation: 'sum', window: '365d' },

  // --- relationship and service ---------------------------------------------------------
  { name: 'days_since_last_activity', description: 'Days since the customer last did anything: a transaction, login, email or push open, contact or offer response.', unit: 'days', events: CUSTOMER_ACTIVITY, aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'days_since_first_seen', description: 'Days since the first event of any kind: tenure as the log knows it.', unit: 'days', events: [...CUSTOMER_ACTIVITY, 'salary', 'balance_snapshot', 'loan_repayment'], aggregation: 'first_seen', window: 'lifetime' },
  { name: 'contact_centre_contacts_90d', description: 'Contacts with the contact centre or chatbot in the last 90 days.', unit: 'count', events: ['contact_centre'], aggregation: 'count', window: '90d' },
  { name: 'complaints_365d', description: 'Contacts tagged "complaint" in the last 365 days.', unit: 'count', events: ['contact_centre'], where: '"complaint" in event.payload.topics', aggregation: 'count', window: '365d' },
  { name: 'hardship_contacts_365d', description: 'Contacts tagged "hardship", "payment_difficulty" or "arrears" in the last 365 days: a vulnerability signal.', unit: 'count', events: ['contact_centre'], where: 'event.payload.topics.exists(t, t in ["hardship", "payment_difficulty", "arrears"])', aggregation: 'count', window: '365d' },
  { name: 'days_since_guidance_taken', description: 'Days since the customer last took up help or guidance from the bank (an accepted offer of a guidance action of the built-in catalogue); missing when never.', unit: 'days', events: ['offer_response'], where: `event.payload.response == "accepted" && event.payload.actionId in ${GUIDANCE_ACTIONS}`, aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'days_since_retention_taken', description: 'Days since the customer last took up a retention offer (an accepted offer of a retention action of the built-in catalogue); missing when never.', unit: 'days', events: ['offer_response'], where: `event.payload.response == "accepted" && event.payload.actionId in ${RETENTION_ACTIONS}`, aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'negative_contacts_90d', description: 'Contacts with negative sentiment in the last 90 days.', unit: 'count', events: ['contact_centre'], where: 'has(event.payload.sentiment) && event.payload.sentiment == "negative"', aggregation: 'count', window: '90d' },

  // --- the market (global market events, computed once and joined into every profile) --
  { name: 'base_rate_change_120d', description: 'Change in the Bank Rate over the last 120 days (new minus previous rate of each base-rate decision; < 0 after cuts): refinancing and savings offers read it.', unit: 'percentage points', scope: 'market', events: ['market_event'], where: `${BASE_RATE} && has(event.payload.previousValue)`, value: RATE_STEP, aggregation: 'sum', window: '120d' },
  { name: 'base_rate', description: 'The Bank Rate set by the latest base-rate decision.', unit: 'percent', scope: 'market', events: ['market_event'], where: BASE_RATE, value: RATE_LEVEL, aggregation: 'last', window: 'lifetime' },
  { name: 'days_since_base_rate_change', description: 'Days since the latest base-rate decision.', unit: 'days', scope: 'market', events: ['market_event'], where: BASE_RATE, aggregation: 'days_since_last', window: 'lifetime' },
  { name: 'equity_move_120d', description: 'Sum of the share-price moves of market shocks in the last 120 days (e.g. -20 after a 20% fall): investment offers read it.', unit: 'percent', scope: 'market', events: ['market_event'], where: `event.payload.kind == "market_shock" && ${HOME_MARKET}`, value: 'payload.value', aggregation: 'sum', window: '120d' },
  { name: 'inflation_latest', description: 'Annual consumer-price inflation in the latest inflation release.', unit: 'percent', scope: 'market', events: ['market_event'], where: `event.payload.kind == "inflation_release" && ${HOME_MARKET}`, value: 'payload.value', aggregation: 'last', window: 'lifetime' },
];
