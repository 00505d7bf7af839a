import type { BankEvent } from '../../src/core/events.js';

const gbp = (minor: number) => ({ minor, currency: 'GBP' });

/** One valid example of every event type, for customer `c`, at time `at`. */
export function exampleEvents(c = 'cust-1', at = '2026-03-01T09:00:00Z', prefix = 'ex'): BankEvent[] {
  const base = (type: string, n: number) => ({ eventId: `${prefix}-${type}-${n}`, customerId: c, occurredAt: at, schemaVersion: 1 as const });
  return [
    { ...base('deposit', 1), type: 'deposit', payload: { amount: gbp(120_00), method: 'online' } },
    { ...base('withdrawal', 1), type: 'withdrawal', payload: { amount: gbp(-40_00), method: 'atm' } },
    { ...base('card_payment', 1), type: 'card_payment', payload: { amount: gbp(-23_50), merchantCategoryCode: '5411', merchantCountry: 'GB', cardType: 'debit' } },
    { ...base('card_payment', 2), type: 'card_payment', payload: { amount: gbp(-310_00), merchantCategoryCode: '3000', merchantCountry: 'FR', originalAmount: { minor: -360_00, currency: 'EUR' } } },
    { ...base('transfer_in', 1), type: 'transfer_in', payload: { amount: gbp(50_00), counterpartyBank: 'Monzo' } },
    { ...base('transfer_out', 1), type: 'transfer_out', payload: { amount: gbp(-500_00), counterpartyBank: 'Chase UK', ownAccount: true } },
    { ...base('salary', 1), type: 'salary', payload: { amount: gbp(2_850_00), employerId: 'emp-42' } },
    { ...base('loan_application', 1), type: 'loan_application', payload: { loanId: 'L1', product: 'personal_loan', requested: gbp(8_000_00), termMonths: 36, outcome: 'approved' } },
    { ...base('loan_repayment', 1), type: 'loan_repayment', payload: { loanId: 'L1', amount: gbp(-250_00), kind: 'scheduled', status: 'paid', remainingBalance: gbp(7_750_00) } },
    { ...base('investment_trade', 1), type: 'investment_trade', payload: { side: 'buy', amount: gbp(-1_000_00), instrumentType: 'fund', wrapper: 'isa' } },
    { ...base('balance_snapshot', 1), type: 'balance_snapshot', payload: { accountId: 'acc-1', accountType: 'current', balance: gbp(-120_00) } },
    { ...base('login', 1), type: 'login', payload: { channel: 'mobile_app' } },
    { ...base('screen_view', 1), type: 'screen_view', payload: { channel: 'web', screen: 'savings/overview' } },
    { ...base('feature_use', 1), type: 'feature_use', payload: { channel: 'mobile_app', feature: 'card_freeze' } },
    { ...base('email_open', 1), type: 'email_open', payload: { campaignId: 'spring-isa' } },
    { ...base('email_click', 1), type: 'email_click', payload: { campaignId: 'spring-isa', link: 'https://bank.example/isa' } },
    { ...base('push_open', 1), type: 'push_open', payload: { decisionId: 'd-1' } },
    { ...base('contact_centre', 1), type: 'contact_centre', payload: { channel: 'phone', topics: ['complaint', 'fees'], durationSeconds: 420, sentiment: 'negative' } },
    { ...base('life_event', 1), type: 'life_event', payload: { kind: 'house_move', source: 'declared' } },
    { ...base('offer_response', 1), type: 'offer_response', payload: { decisionId: 'd-1', actionId: 'isa-starter', channel: 'push', response: 'accepted' } },
    { ...base('consent_change', 1), type: 'consent_change', payload: { purpose: 'marketing', channel: 'email', granted: false, source: 'app' } },
    { eventId: `${prefix}-market-1`, customerId: '*', occurredAt: at, schemaVersion: 1, type: 'market_event', payload: { kind: 'base_rate_change', region: 'GB', value: 4.0, previousValue: 4.25, unit: 'percent' } },
  ] as BankEvent[];
}
