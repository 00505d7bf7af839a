import { describe, expect, it } from 'vitest';
import { Decisioning } from '../../src/decisioning/index.js';
import { Customer } from '../../src/core/customer.js';
import { ManualClock } from '../../src/core/clock.js';
import type { CapCheck, CommitResult, ContactRecord } from '../../src/store/contactStore.js';
import { MemoryContactStore } from '../../src/store/memory/contactStore.js';
import { MemoryDecisionLog } from '../../src/store/memory/decisionLog.js';
import { scenarioCatalogue } from './rig.js';

/** A contact store where, at the first commit, another process has just contacted the customer and heard them decline the first action (the commit is refused on the cap). */
class RacedContacts extends MemoryContactStore {
  raced = false;
  override async commit(customerId: string, contacts: ContactRecord[], caps: CapCheck[], capacity: Parameters<MemoryContactStore['commit']>[3], entries?: Parameters<MemoryContactStore['commit']>[4]): Promise<CommitResult> {
    if (!this.raced && contacts.length > 0) {
      this.raced = true;
      await super.commit(customerId, contacts.map((c) => ({ ...c, decisionId: 'other-process' })), [], []);
      await this.recordDecline(customerId, { actionId: contacts[0]!.actionId, family: contacts[0]!.family, at: contacts[0]!.at, eventId: 'other-decline' });
      return { ok: false, reason: 'cap', cap: caps[0]! };
    }
    return super.commit(customerId, contacts, caps, capacity, entries);
  }
}

describe('a decision retried on a fresher contact history (another process contacted the customer)', () => {
  it('is evaluated again on the history it logs: its packed record reads back as returned and replays identically', async () => {
    const contacts = new RacedContacts();
    const log = new MemoryDecisionLog();
    const customer = Customer.parse({ customerId: 'c-race', dateOfBirth: '1985-06-15', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } });
    const d = new Decisioning(scenarioCatalogue(), { clock: new ManualClock('2026-03-02T10:00:00Z'), customers: { get: async () => customer }, consentEvents: async () => [], contacts, log });
    const r = await d.decide({ customerId: 'c-race', channel: 'in_app', n: 2 });
    expect(contacts.raced).toBe(true);
    expect(r.inputs.history.contacts.map((c) => c.decisionId)).toContain('other-process');
    // The traces are those of the logged inputs: what the other process sent is seen by the policies.
    const declined = r.inputs.history.declines[0]!;
    expect(r.candidates.find((c) => c.actionId === declined.actionId)?.status).toBe('excluded');
    expect(r.chosen.map((c) => c.actionId)).not.toContain(declined.actionId);
    const read = await d.readRecord((await log.get(r.decisionId))!);
    expect(JSON.stringify(read)).toBe(JSON.stringify(r));
    expect(await d.replay(r.decisionId)).toMatchObject({ identical: true, differences: [] });
  });
});
