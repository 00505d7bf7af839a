import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { DecisionLog, LoggedDecision } from '../../src/store/decisionLog.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const decision = (id: string, customerId: string, at: number): LoggedDecision => ({ decisionId: id, customerId, channel: 'email', decidedAt: at, catalogueVersion: 'v1', chosenActions: [], record: { id, nested: { xs: [1, 2.5, 'a'], ok: true } } });

/** The one contract every DecisionLog adapter passes (STYLE.md 11). */
export function decisionLogContract(name: string, open: () => Promise<DecisionLog>): void {
  describe(`DecisionLog contract: ${name}`, () => {
    let log: DecisionLog;
    beforeEach(async () => {
      log = await open();
    });
    afterEach(async () => {
      await log.close();
    });

    it('stores and reads a decision with its record unchanged', async () => {
      await log.append(decision('d1', 'c1', T0));
      expect(await log.get('d1')).toEqual({ ...decision('d1', 'c1', T0), responses: [] });
      expect(await log.get('nope')).toBeUndefined();
      expect(await log.count()).toBe(1);
    });

    it('refuses a second decision with the same id', async () => {
      await log.append(decision('d1', 'c1', T0));
      await expect(log.append(decision('d1', 'c1', T0))).rejects.toThrow();
    });

    it('links responses idempotently, in time order', async () => {
      await log.append(decision('d1', 'c1', T0));
      expect(await log.linkResponse('d1', { eventId: 'e2', actionId: 'a', channel: 'email', response: 'accepted', at: T0 + 2000 })).toBe(true);
      expect(await log.linkResponse('d1', { eventId: 'e1', actionId: 'a', channel: 'email', response: 'shown', at: T0 + 1000 })).toBe(true);
      expect(await log.linkResponse('d1', { eventId: 'e1', actionId: 'a', channel: 'email', response: 'shown', at: T0 + 1000 })).toBe(true);
      expect(await log.linkResponse('unknown', { eventId: 'e3', actionId: 'a', channel: 'email', response: 'shown', at: T0 })).toBe(false);
      expect((await log.get('d1'))!.responses.map((r) => r.response)).toEqual(['shown', 'accepted']);
    });

    it('lists a customer newest first and erases them', async () => {
      await log.append(decision('d1', 'c1', T0));
      await log.append(decision('d2', 'c1', T0 + 1));
      await log.append(decision('d3', 'c2', T0 + 2));
      await log.linkResponse('d1', { eventId: 'e1', actionId: 'a', channel: 'email', response: 'shown', at: T0 });
      expect((await log.listCustomer('c1', 10)).map((d) => d.decisionId)).toEqual(['d2', 'd1']);
      expect(await log.eraseCustomer('c1')).toBe(2);
      expect(await log.get('d1')).toBeUndefined();
      expect(await log.count()).toBe(1);
    });

    it('searches by customer, channel, chosen action and time, newest first, a page at a time', async () => {
      // The chosen actions are a column: the record is opaque to the store (here it says nothing of them).
      const chose = (id: string, customerId: string, channel: string, at: number, actions: string[]): LoggedDecision => ({ decisionId: id, customerId, channel, decidedAt: at, catalogueVersion: 'v1', chosenActions: actions, record: { packed: id } });
      await log.append(chose('a1', 'c1', 'email', T0, ['card']));
      await log.append(chose('a2', 'c1', 'in_app', T0 + 10, ['saver', 'card']));
      await log.append(chose('a3', 'c2', 'email', T0 + 20, []));
      await log.append(chose('a4', 'c2', 'email', T0 + 20, ['cardigan']));
      await log.append(decision('a5', 'c3', T0 + 30));
      const ids = async (q: Parameters<DecisionLog['search']>[0]) => (await log.search(q)).map((d) => d.decisionId);
      expect(await ids({ limit: 10 })).toEqual(['a5', 'a4', 'a3', 'a2', 'a1']);
      expect(await ids({ customerId: 'c1', limit: 10 })).toEqual(['a2', 'a1']);
      expect(await ids({ channel: 'email', limit: 10 })).toEqual(['a5', 'a4', 'a3', 'a1']);
      // An exact action id, not a prefix; a decision that chose nothing matches no action.
      expect(await ids({ actionId: 'card', limit: 10 })).toEqual(['a2', 'a1']);
      expect(await ids({ actionId: 'card', channel: 'email', limit: 10 })).toEqual(['a1']);
      expect(await ids({ from: T0 + 10, to: T0 + 30, limit: 10 })).toEqual(['a4', 'a3', 'a2']);
      // The cursor breaks ties on the id: a4 and a3 share a time.
      expect(await ids({ before: { decidedAt: T0 + 20, decisionId: 'a4' }, limit: 2 })).toEqual(['a3', 'a2']);
      expect(await ids({ customerId: 'nobody', limit: 10 })).toEqual([]);
      expect((await log.search({ customerId: 'c1', limit: 1 }))[0]).toEqual(chose('a2', 'c1', 'in_app', T0 + 10, ['saver', 'card']));
    });

    it('keeps catalogue snapshots by version', async () => {
      await log.putCatalogue('v1', { formatVersion: 1, actions: [{ id: 'a' }] });
      await log.putCatalogue('v1', { ignored: true });
      expect(await log.getCatalogue('v1')).toEqual({ formatVersion: 1, actions: [{ id: 'a' }] });
      expect(await log.getCatalogue('v2')).toBeUndefined();
    });
  });
}
