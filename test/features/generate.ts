import type { BankEvent } from '../../src/core/events.js';
import { mulberry32, type Rng } from '../../src/core/random.js';
import { canonicalJson } from '../../src/core/canonical.js';
import type { AppendItem } from '../../src/store/eventLog.js';

const DAY = 86_400_000;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
const gbp = (minor: number) => ({ minor: Math.round(minor), currency: 'GBP' });

/**
 * A small seeded generator of valid bank events of every type the bank pack reads, with
 * late and out-of-order arrivals: `arrival` is the order the log receives them in.
 * Used until (and beside) the digital twin, to drive the parity property test.
 */
export function generateEvents(seed: number, options: { customers?: number; days?: number; start?: number; perDay?: number } = {}): { arrival: BankEvent[] } {
  const rng = mulberry32(seed);
  const customers = options.customers ?? 4;
  const days = options.days ?? 200;
  const start = options.start ?? Date.parse('2025-06-01T00:00:00Z');
  const perDay = options.perDay ?? 1.5;
  const events: { e: BankEvent; arriveAt: number }[] = [];
  let n = 0;
  for (let c = 0; c < customers; c++) {
    const customerId = `c${seed}_${c}`;
    const salary = 150_000 + rng.next() * 300_000;
    for (let d = 0; d < days; d++) {
      const dayStart = start + d * DAY;
      const count = Math.floor(rng.next() * perDay * 2 + (rng.next() < 0.1 ? 6 : 0));
      const make = (type: string, payload: Record<string, unknown>, at = dayStart + Math.floor(rng.next() * DAY)): void => {
        const e = { eventId: `e${seed}_${n++}`, customerId, occurredAt: new Date(at).toISOString(), schemaVersion: 1, type, payload } as BankEvent;
        // 15% arrive late (up to 20 days), a few very late (up to 400 days): the log gets them out of order.
        const r = rng.next();
        const delay = r < 0.8 ? rng.next() * 3_600_000 : r < 0.95 ? rng.next() * 20 * DAY : rng.next() * 400 * DAY;
        events.push({ e, arriveAt: at + delay });
      };
      if (d % 28 === 3 && rng.next() < 0.9) make('salary', { amount: gbp(salary * (0.95 + rng.next() * 0.1)), employerId: rng.next() < 0.9 ? 'emp1' : 'emp2' });
      if (rng.next() < 0.7) make('balance_snapshot', { accountId: `${customerId}-cur`, accountType: 'current', balance: gbp((rng.next() - 0.2) * 300_000) }, dayStart + DAY - 1000);
      if (rng.next() < 0.3) make('balance_snapshot', { accountId: `${customerId}-sav`, accountType: pick(rng, ['savings', 'isa', 'credit_card', 'loan']), balance: gbp((rng.next() - 0.3) * 1_000_000) }, dayStart + DAY - 500);
      for (let k = 0; k < count; k++) {
        const r = rng.next();
        if (r < 0.3) {
          const payload: Record<string, unknown> = { amount: gbp(-(100 + rng.next() * 20_000)), merchantCategoryCode: pick(rng, ['5411', '5812', '3005', '4511', '7995', '5999', '7011', '5541']) };
          if (rng.next() < 0.3) payload.merchantCountry = pick(rng, ['GB', 'FR', 'ES', 'US']);
          if (rng.next() < 0.1) payload.originalAmount = { minor: 1234, currency: 'EUR' };
          if (rng.next() < 0.5) payload.cardType = pick(rng, ['debit', 'credit']);
          make('card_payment', payload);
        } else if (r < 0.5) make('login', { channel: pick(rng, ['mobile_app', 'web']) });
        else if (r < 0.55) make('withdrawal', { amount: gbp(-(1000 + rng.next() * 20_000)) });
        else if (r < 0.6) make('deposit', { amount: gbp(1000 + rng.next() * 50_000) });
        else if (r < 0.65) make('transfer_in', { amount: gbp(1000 + rng.next() * 50_000), ...(rng.next() < 0.5 ? { ownAccount: rng.next() < 0.5 } : {}) });
        else if (r < 0.72) make('transfer_out', { amount: gbp(-(1000 + rng.next() * 50_000)), counterpartyBank: pick(rng, ['self', 'HSBC', 'Monzo', 'Barclays']), ...(rng.next() < 0.5 ? { ownAccount: rng.next() < 0.5 } : {}) });
        else if (r < 0.76) make('feature_use', { channel: 'mobile_app', feature: pick(rng, ['budgeting_tool', 'card_freeze', 'savings_pot']) });
        else if (r < 0.8) make(pick(rng, ['email_open', 'email_click', 'push_open']), {});
        else if (r < 0.83) make('screen_view', { channel: 'web', screen: 'home' });
        else if (r < 0.86) make('contact_centre', { channel: pick(rng, ['phone', 'chat']), topics: [pick(rng, ['complaint', 'hardship', 'card_query', 'payment_difficulty'])], ...(rng.next() < 0.5 ? { sentiment: pick(rng, ['negative', 'neutral', 'positive']) } : {}) });
        else if (r < 0.9) make('loan_repayment', { loanId: 'l1', amount: gbp(-20_000), kind: pick(rng, ['scheduled', 'scheduled', 'overpayment']), status: pick(rng, ['paid', 'paid', 'late', 'missed']), remainingBalance: gbp(500_000 - d * 1000) });
        else if (r < 0.92) make('loan_application', { loanId: `la${n}`, product: 'personal_loan', requested: gbp(500_000), outcome: 'submitted' });
        else if (r < 0.95) make('investment_trade', { side: pick(rng, ['buy', 'sell']), amount: gbp(rng.next() < 0.5 ? -50_000 : 50_000), instrumentType: 'fund' });
        else if (r < 0.97) make('offer_response', { decisionId: 'd1', actionId: 'a1', channel: 'push', response: 'shown' });
        else make('life_event', { kind: 'new_job' });
      }
    }
  }
  events.sort((a, b) => a.arriveAt - b.arriveAt);
  return { arrival: events.map((x) => x.e) };
}

/** Log append items for events. */
export const appendItems = (events: readonly BankEvent[]): AppendItem[] => events.map((e) => ({ event: e, body: canonicalJson(e), t: Date.parse(e.occurredAt) }));
