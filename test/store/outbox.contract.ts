import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outboxKey, type NewOutboxEntry, type Outbox } from '../../src/store/outbox.js';

const T = 1_700_000_000_000;

/** An entry for a customer on a channel. */
export function entryFor(decisionId: string, customerId = 'c1', channel = 'push', o: Partial<NewOutboxEntry> = {}): NewOutboxEntry {
  return { key: outboxKey(decisionId, 'sav_easy_access', channel), decisionId, actionId: 'sav_easy_access', customerId, channel, worklist: '', message: { headline: 'Save more' }, createdAt: T, ...o };
}

/** The one contract every Outbox adapter passes (STYLE.md 11). */
export function outboxContract(name: string, open: () => Promise<Outbox>): void {
  describe(`Outbox contract: ${name}`, () => {
    let box: Outbox;
    beforeEach(async () => {
      box = await open();
    });
    afterEach(async () => {
      await box.close();
    });
    const lease = (o: Partial<Parameters<Outbox['lease']>[0]> = {}) => box.lease({ channels: ['push'], now: T, leaseMs: 1000, by: 'd1', limit: 10, ...o });

    it('enqueues once per idempotency key', async () => {
      expect(await box.enqueue([entryFor('a'), entryFor('b')])).toEqual(['a:sav_easy_access:push', 'b:sav_easy_access:push']);
      expect(await box.enqueue([entryFor('a', 'c1', 'push', { message: { headline: 'other' } })])).toEqual([]);
      expect((await box.get('a:sav_easy_access:push'))!.message).toEqual({ headline: 'Save more' });
      expect((await box.counts()).pending).toBe(2);
    });

    it('leases due entries once; a lease that runs out makes them due again, as another attempt', async () => {
      await box.enqueue([entryFor('a'), entryFor('b'), entryFor('c', 'c1', 'email')]);
      const first = await lease();
      expect(first.map((e) => [e.key, e.status, e.attempts, e.leasedBy])).toEqual([
        ['a:sav_easy_access:push', 'leased', 1, 'd1'],
        ['b:sav_easy_access:push', 'leased', 1, 'd1'],
      ]);
      expect(await lease({ by: 'd2', now: T + 999 })).toEqual([]);
      const again = await lease({ by: 'd2', now: T + 1000, limit: 1 });
      expect(again.map((e) => [e.key, e.attempts, e.leasedBy])).toEqual([['a:sav_easy_access:push', 2, 'd2']]);
      // The first holder lost it: its completion does not count.
      expect(await box.complete('a:sav_easy_access:push', 'd1', T + 1001)).toBe(false);
      expect(await box.complete('a:sav_easy_access:push', 'd2', T + 1001)).toBe(true);
      expect(await box.complete('a:sav_easy_access:push', 'd2', T + 1002)).toBe(false);
      expect((await box.get('a:sav_easy_access:push'))!).toMatchObject({ status: 'delivered', settledAt: T + 1001, leasedBy: null });
    });

    it('filters leases by customer and worklist', async () => {
      await box.enqueue([entryFor('a', 'c1', 'branch', { worklist: 'b-01' }), entryFor('b', 'c2', 'branch', { worklist: 'b-02' })]);
      expect((await lease({ channels: ['branch'], customerId: 'c2' })).map((e) => e.customerId)).toEqual(['c2']);
      expect((await lease({ channels: ['branch'], worklist: 'b-01' })).map((e) => e.worklist)).toEqual(['b-01']);
    });

    it('retries later, dead-letters, revives', async () => {
      await box.enqueue([entryFor('a'), entryFor('b')]);
      await lease();
      expect(await box.retry('a:sav_easy_access:push', 'd1', T + 5000, 'HTTP 503')).toBe(true);
      expect(await box.deadLetter('b:sav_easy_access:push', 'd1', T + 10, 'HTTP 410')).toBe(true);
      expect(await lease({ now: T + 4999 })).toEqual([]);
      const [a] = await lease({ now: T + 5000 });
      expect(a).toMatchObject({ key: 'a:sav_easy_access:push', attempts: 2, lastError: 'HTTP 503' });
      expect((await box.list({ status: 'dead' })).map((e) => [e.key, e.lastError])).toEqual([['b:sav_easy_access:push', 'HTTP 410']]);
      expect(await box.revive('b:sav_easy_access:push', T + 6000)).toBe(true);
      expect(await box.revive('b:sav_easy_access:push', T + 6000)).toBe(false);
      expect((await box.get('b:sav_easy_access:push'))!).toMatchObject({ status: 'pending', attempts: 0, dueAt: T + 6000 });
    });

    it('cancels exactly the entries named, if still pending or leased', async () => {
      await box.enqueue([entryFor('a'), entryFor('b'), entryFor('c')]);
      await lease({ limit: 1 });
      expect(await box.complete('a:sav_easy_access:push', 'd1', T + 1)).toBe(true);
      // a was delivered (not cancelled), b is pending, the unknown key is ignored; c is left alone.
      expect(await box.cancelKeys(['a:sav_easy_access:push', 'b:sav_easy_access:push', 'zz:none:push'], T + 2, 'its decision record could not be logged')).toEqual(['b:sav_easy_access:push']);
      expect((await box.get('b:sav_easy_access:push'))!).toMatchObject({ status: 'cancelled', lastError: 'its decision record could not be logged' });
      expect((await box.get('a:sav_easy_access:push'))!.status).toBe('delivered');
      expect((await box.get('c:sav_easy_access:push'))!.status).toBe('pending');
    });

    it('cancels a customer\'s pending and leased entries, not delivered ones', async () => {
      await box.enqueue([entryFor('a'), entryFor('b'), entryFor('c', 'c1', 'email'), entryFor('d', 'c2')]);
      const [first] = await lease({ limit: 1 });
      await box.complete(first!.key, 'd1', T);
      await lease({ limit: 1 });
      expect((await box.cancel('c1', T + 1, 'consent withdrawn', ['push'])).sort()).toEqual(['b:sav_easy_access:push']);
      expect((await box.cancel('c1', T + 2, 'consent withdrawn')).sort()).toEqual(['c:sav_easy_access:email']);
      expect(await box.counts()).toEqual({ pending: 1, leased: 0, delivered: 1, dead: 0, cancelled: 2 });
      expect(await lease({ channels: ['push', 'email'], now: T + 10_000 })).toHaveLength(1);
    });

    it('lists by status, customer and channel; erasure forgets the customer', async () => {
      await box.enqueue([entryFor('a'), entryFor('b', 'c2'), entryFor('c', 'c1', 'email')]);
      expect((await box.list({ customerId: 'c1' })).map((e) => e.key)).toEqual(['a:sav_easy_access:push', 'c:sav_easy_access:email']);
      expect((await box.list({ channel: 'email' })).map((e) => e.key)).toEqual(['c:sav_easy_access:email']);
      expect((await box.list({ limit: 1 })).length).toBe(1);
      await box.erase('c1');
      expect((await box.list({})).map((e) => e.customerId)).toEqual(['c2']);
    });
  });
}
