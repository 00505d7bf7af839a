import { describe, expect, it } from 'vitest';
import { Decisioning } from '../../src/decisioning/index.js';
import { Customer } from '../../src/core/customer.js';
import { ManualClock } from '../../src/core/clock.js';
import { MemoryContactStore } from '../../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../../src/store/memory/decisionLog.js';
import { scenarioCatalogue } from './rig.js';

/** Decisioning whose tombstone check answers from `answers` in turn (true: erased), as an erasure on another instance would. */
function withTombstone(answers: boolean[]) {
  const contacts = new MemoryContactStore();
  const log = new MemoryDecisionLog();
  const customer = Customer.parse({ customerId: 'c-mid', dateOfBirth: '1985-06-15', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } });
  const d = new Decisioning(scenarioCatalogue(), {
    clock: new ManualClock('2026-03-02T10:00:00Z'),
    customers: { get: async () => customer },
    consentEvents: async () => [],
    contacts,
    log,
    erased: async () => answers.shift() ?? true,
  });
  return { d, contacts, log };
}

describe('a decision and an erasure of its customer', () => {
  it('erased before the decision takes the lock: refused, nothing written', async () => {
    const { d, contacts, log } = withTombstone([true]);
    await expect(d.decide({ customerId: 'c-mid', channel: 'in_app', n: 2 })).rejects.toMatchObject({ code: 'GONE' });
    expect((await contacts.history('c-mid', 0)).contacts).toEqual([]);
    expect(await log.listCustomer('c-mid', 10)).toEqual([]);
  });

  it('erased on another instance while the decision was made: what it wrote is erased, and it answers GONE', async () => {
    const { d, contacts, log } = withTombstone([false, true]);
    await expect(d.decide({ customerId: 'c-mid', channel: 'in_app', n: 2 })).rejects.toMatchObject({ code: 'GONE' });
    expect((await contacts.history('c-mid', 0)).contacts).toEqual([]);
    expect(await log.listCustomer('c-mid', 10)).toEqual([]);
  });

  it('not erased: the decision, its record and its contacts stand', async () => {
    const { d, contacts, log } = withTombstone([false, false]);
    const r = await d.decide({ customerId: 'c-mid', channel: 'in_app', n: 2 });
    expect(r.chosen.length).toBeGreaterThan(0);
    expect((await contacts.history('c-mid', 0)).contacts).toHaveLength(r.chosen.length);
    expect(await log.listCustomer('c-mid', 10)).toHaveLength(1);
  });
});
