import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { CapCheck, ContactRecord, ContactStore } from '../../src/store/contactStore.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T10:00:00Z');
const contact = (actionId: string, at: number, o: Partial<ContactRecord> = {}): ContactRecord => ({ decisionId: `d-${actionId}-${at}`, actionId, family: 'savings', channel: 'push', at, ...o });

/** The one contract every ContactStore adapter passes (STYLE.md 11). */
export function contactStoreContract(name: string, open: () => Promise<ContactStore>): void {
  describe(`ContactStore contract: ${name}`, () => {
    let store: ContactStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores contacts and returns the history since a time, oldest first', async () => {
      expect(await store.commit('c1', [contact('a', T0 - 5 * DAY)], [], [])).toEqual({ ok: true });
      expect(await store.commit('c1', [contact('b', T0 - DAY, { sessionId: 's1' })], [], [])).toEqual({ ok: true });
      expect(await store.commit('c2', [contact('c', T0)], [], [])).toEqual({ ok: true });
      const h = await store.history('c1', T0 - 2 * DAY);
      expect(h.contacts).toEqual([contact('b', T0 - DAY, { sessionId: 's1' })]);
      expect((await store.history('c1', 0)).contacts.map((c) => c.actionId)).toEqual(['a', 'b']);
    });

    it('refuses a commit that would break a cap, storing nothing', async () => {
      const cap: CapCheck = { channel: 'push', max: 2, periodMs: 7 * DAY };
      expect(await store.commit('c1', [contact('a', T0 - 3 * DAY), contact('b', T0 - 2 * DAY)], [cap], [])).toEqual({ ok: true });
      const refused = await store.commit('c1', [contact('c', T0)], [cap], [{ key: 'k', max: 10 }]);
      expect(refused).toEqual({ ok: false, reason: 'cap', cap });
      expect((await store.history('c1', 0)).contacts).toHaveLength(2);
      expect(await store.capacityUsed(['k'])).toEqual([0]);
      // Another channel and a contact outside the window do not count.
      expect(await store.commit('c1', [contact('d', T0, { channel: 'email' })], [cap], [])).toEqual({ ok: true });
      expect(await store.commit('c1', [contact('e', T0 + 5 * DAY)], [cap], [])).toEqual({ ok: true });
    });

    it('a contact timed a moment later but committed first counts against an earlier-timed commit (instances race)', async () => {
      const cap: CapCheck = { channel: '*', max: 1, periodMs: DAY };
      expect(await store.commit('c1', [contact('late', T0 + 5)], [cap], [])).toEqual({ ok: true });
      expect(await store.commit('c1', [contact('early', T0)], [cap], [])).toEqual({ ok: false, reason: 'cap', cap });
      expect((await store.history('c1', 0)).contacts.map((c) => c.actionId)).toEqual(['late']);
    });

    it('family caps count only that family', async () => {
      const cap: CapCheck = { channel: '*', family: 'credit_card', max: 1, periodMs: 30 * DAY };
      expect(await store.commit('c1', [contact('a', T0, { family: 'credit_card' })], [cap], [])).toEqual({ ok: true });
      expect(await store.commit('c1', [contact('b', T0, { family: 'savings' })], [cap], [])).toEqual({ ok: true });
      expect((await store.commit('c1', [contact('c', T0, { family: 'credit_card' })], [cap], [])).ok).toBe(false);
    });

    it('takes capacity atomically up to the maximum', async () => {
      for (let i = 0; i < 3; i++) expect(await store.commit(`c${i}`, [contact('a', T0)], [], [{ key: 'action:a:2026-03-01', max: 3 }])).toEqual({ ok: true });
      expect(await store.commit('c9', [contact('a', T0)], [], [{ key: 'action:a:2026-03-01', max: 3 }])).toEqual({ ok: false, reason: 'capacity', key: 'action:a:2026-03-01' });
      expect(await store.capacityUsed(['action:a:2026-03-01', 'none'])).toEqual([3, 0]);
      expect((await store.history('c9', 0)).contacts).toEqual([]);
    });

    it('keeps declines and erases a customer', async () => {
      await store.recordDecline('c1', { actionId: 'a', family: 'savings', at: T0 });
      await store.commit('c1', [contact('a', T0)], [], []);
      expect((await store.history('c1', 0)).declines).toEqual([{ actionId: 'a', family: 'savings', at: T0 }]);
      expect(await store.eraseCustomer('c1')).toBe(2);
      expect(await store.history('c1', 0)).toEqual({ contacts: [], declines: [] });
    });

    it("retracts one decision's contacts and gives back its capacity once (a decision record that could not be logged)", async () => {
      const take = [{ key: 'action:a:2026-03-01', max: 2 }];
      await store.commit('c1', [contact('a', T0, { decisionId: 'd1' })], [], take);
      await store.commit('c1', [contact('b', T0, { decisionId: 'd2' })], [], take);
      expect(await store.capacityUsed(['action:a:2026-03-01'])).toEqual([2]);
      expect(await store.retract('c1', 'd1', ['action:a:2026-03-01'])).toBe(1);
      expect((await store.history('c1', 0)).contacts.map((c) => c.decisionId)).toEqual(['d2']);
      expect(await store.capacityUsed(['action:a:2026-03-01'])).toEqual([1]);
      // A second retraction of the same decision changes nothing.
      expect(await store.retract('c1', 'd1', ['action:a:2026-03-01'])).toBe(0);
      expect(await store.capacityUsed(['action:a:2026-03-01'])).toEqual([1]);
    });

    it('reserves a committed decision until it is confirmed; retraction and erasure drop the reservation too', async () => {
      if (!store.reservations || !store.confirm) return; // a store a crash empties anyway (memory)
      const take = [{ key: 'action:a:2026-03-01', max: 5 }];
      expect(await store.commit('c1', [contact('a', T0, { decisionId: 'r1' }), contact('b', T0, { decisionId: 'r1' })], [], take)).toEqual({ ok: true });
      expect(await store.commit('c1', [contact('a', T0 + 1, { decisionId: 'r2' })], [], take)).toEqual({ ok: true });
      expect(await store.commit('c2', [contact('a', T0 + 2, { decisionId: 'r3' })], [], [])).toEqual({ ok: true });
      expect(await store.commit('c2', [], [], [])).toEqual({ ok: true }); // nothing chosen: nothing reserved
      const all = await store.reservations(Number.MAX_SAFE_INTEGER);
      expect(all.map((r) => r.decisionId).sort()).toEqual(['r1', 'r2', 'r3']);
      expect(all.find((r) => r.decisionId === 'r1')).toEqual({ decisionId: 'r1', customerId: 'c1', at: T0, capacityKeys: ['action:a:2026-03-01'] });
      expect((await store.reservations(T0)).map((r) => r.decisionId)).toEqual(['r1']);
      await store.confirm(['r1']);
      await store.retract('c1', 'r2', ['action:a:2026-03-01']);
      expect((await store.reservations(Number.MAX_SAFE_INTEGER)).map((r) => r.decisionId)).toEqual(['r3']);
      await store.eraseCustomer('c2');
      expect(await store.reservations(Number.MAX_SAFE_INTEGER)).toEqual([]);
      expect((await store.history('c1', 0)).contacts.map((c) => c.decisionId)).toEqual(['r1', 'r1']);
    });

    it('releases one contact of a failed delivery: the cap it held is free again, and a second release is a no-op', async () => {
      const cap: CapCheck = { channel: '*', max: 1, periodMs: 7 * DAY };
      expect(await store.commit('c1', [contact('a', T0, { decisionId: 'd1' }), contact('a', T0, { decisionId: 'd1', channel: 'email' })], [], [])).toEqual({ ok: true });
      expect(await store.release!('c1', { decisionId: 'd1', actionId: 'a', channel: 'push' })).toBe(true);
      expect((await store.history('c1', 0)).contacts.map((c) => c.channel)).toEqual(['email']);
      expect(await store.release!('c1', { decisionId: 'd1', actionId: 'a', channel: 'push' })).toBe(false);
      expect(await store.release!('c2', { decisionId: 'd1', actionId: 'a', channel: 'email' })).toBe(false);
      expect(await store.release!('c1', { decisionId: 'd1', actionId: 'a', channel: 'email' })).toBe(true);
      expect(await store.commit('c1', [contact('b', T0 + 1)], [cap], [])).toEqual({ ok: true });
    });

    it('records a decline once per event, however often it is replayed', async () => {
      await store.recordDecline('c1', { actionId: 'a', family: 'savings', at: T0, eventId: 'e1' });
      await store.recordDecline('c1', { actionId: 'a', family: 'savings', at: T0, eventId: 'e1' });
      await store.recordDecline('c1', { actionId: 'a', family: 'savings', at: T0 + 1, eventId: 'e2' });
      expect((await store.history('c1', 0)).declines).toEqual([
        { actionId: 'a', family: 'savings', at: T0, eventId: 'e1' },
        { actionId: 'a', family: 'savings', at: T0 + 1, eventId: 'e2' },
      ]);
    });
  });
}
