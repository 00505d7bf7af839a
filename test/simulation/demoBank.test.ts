import { describe, expect, it } from 'vitest';
import { Customer } from '../../src/core/customer.js';
import { BankEvent } from '../../src/core/events.js';
import { generateDemoBank } from '../../src/simulation/index.js';

describe('generateDemoBank (what npm run demo plugs in)', () => {
  it('gives valid customers and a lazy stream of valid events, in event-time order per day', async () => {
    const bank = generateDemoBank({ customers: 60, days: 10, seed: 4 });
    expect(bank.customers).toHaveLength(60);
    for (const c of bank.customers) expect(Customer.safeParse(c).success).toBe(true);
    let days = 0;
    for await (const page of bank.events) {
      days++;
      for (let k = 0; k < page.length; k++) {
        expect(BankEvent.safeParse(page[k]).success).toBe(true);
        if (k > 0) expect((page[k] as BankEvent).occurredAt >= (page[k - 1] as BankEvent).occurredAt).toBe(true);
      }
    }
    expect(days).toBe(10);
  });

  it('with a policy the stream carries offer responses; with faults it carries rows ingestion must reject', async () => {
    const bank = generateDemoBank({ customers: 80, days: 15, seed: 4, policy: 'rules', faults: { malformedRate: 0.01, duplicateRate: 0.01 } });
    let responses = 0;
    let invalid = 0;
    for await (const page of bank.events) {
      for (const row of page) {
        if (!BankEvent.safeParse(row).success) invalid++;
        else if ((row as BankEvent).type === 'offer_response') responses++;
      }
    }
    const report = bank.report!();
    expect(report.offersShown).toBeGreaterThan(0);
    expect(responses).toBeGreaterThanOrEqual(report.offersShown);
    expect(invalid).toBeGreaterThan(0);
  });
});
