import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { NewReject, RejectStore } from '../../src/store/rejectStore.js';

let n = 0;
const reject = (o: Partial<NewReject> = {}): NewReject => ({
  receivedAt: 1000 + ++n,
  source: 'http',
  eventId: `e${n}`,
  customerId: 'c1',
  issues: [{ field: 'payload.amount.minor', rule: 'type', message: 'must be an integer' }],
  raw: `{"eventId":"e${n}"}`,
  ...o,
});

/** The one contract every RejectStore adapter passes (STYLE.md 11). */
export function rejectStoreContract(name: string, open: () => Promise<RejectStore>): void {
  describe(`RejectStore contract: ${name}`, () => {
    let store: RejectStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      expect(await store.count()).toBe(0);
      expect(await store.list({ limit: 10 })).toEqual([]);
    });

    it('keeps every field, nulls included, and lists newest first with increasing ids', async () => {
      const a = reject({ issues: [{ field: '', rule: 'json', message: 'not JSON: unexpected token' }, { field: 'type', rule: 'enum', message: 'unknown type' }] });
      const b = reject({ eventId: null, customerId: null, source: 'file:events.jsonl', raw: 'garbage ✓ ünïcode' });
      await store.addMany([a, b]);
      const listed = await store.list({ limit: 10 });
      expect(listed.map(({ id: _id, ...rest }) => rest)).toEqual([b, a]);
      expect(listed[0]!.id).toBeGreaterThan(listed[1]!.id);
      expect(await store.count()).toBe(2);
    });

    it('pages backwards with beforeId and filters by source', async () => {
      for (let i = 0; i < 7; i++) await store.addMany([reject({ source: i % 2 ? 'stream' : 'http' })]);
      const all = await store.list({ limit: 100 });
      expect(all).toHaveLength(7);
      const first = await store.list({ limit: 3 });
      const second = await store.list({ limit: 3, beforeId: first[2]!.id });
      const third = await store.list({ limit: 3, beforeId: second[2]!.id });
      expect([...first, ...second, ...third]).toEqual(all);
      expect(third).toHaveLength(1);
      const streamed = await store.list({ limit: 100, source: 'stream' });
      expect(streamed.map((r) => r.id)).toEqual(all.filter((r) => r.source === 'stream').map((r) => r.id));
      expect(await store.list({ limit: 1, source: 'stream', beforeId: streamed[0]!.id })).toEqual([streamed[1]]);
      expect(await store.list({ limit: 0 })).toEqual([]);
      expect(await store.list({ limit: 10, source: 'nobody' })).toEqual([]);
    });

    it('erases one customer’s items and nothing else', async () => {
      await store.addMany([reject({ customerId: 'c1' }), reject({ customerId: 'c2' }), reject({ customerId: null }), reject({ customerId: 'c1' })]);
      expect(await store.eraseCustomer('c1')).toBe(2);
      expect(await store.eraseCustomer('c1')).toBe(0);
      expect((await store.list({ limit: 10 })).map((r) => r.customerId)).toEqual([null, 'c2']);
      expect(await store.count()).toBe(2);
    });

    it('never reuses an id, even after the newest items were erased', async () => {
      await store.addMany([reject({ customerId: 'keep' }), reject({ customerId: 'gone' })]);
      const gone = (await store.list({ limit: 1 }))[0]!.id;
      await store.eraseCustomer('gone');
      await store.addMany([reject({ customerId: 'later' })]);
      expect((await store.list({ limit: 1 }))[0]!.id).toBeGreaterThan(gone);
    });

    it('lists one customer’s items newest first', async () => {
      await store.addMany([reject({ customerId: 'c1' }), reject({ customerId: 'c2' }), reject({ customerId: 'c1' })]);
      const mine = await store.listCustomer('c1', 10);
      expect(mine.map((r) => r.customerId)).toEqual(['c1', 'c1']);
      expect(mine[0]!.id).toBeGreaterThan(mine[1]!.id);
      expect(await store.listCustomer('c1', 1)).toHaveLength(1);
      expect(await store.listCustomer('nobody', 10)).toEqual([]);
    });

    it('purges items older than a time, then all but the newest N', async () => {
      await store.addMany([reject({ receivedAt: 10 }), reject({ receivedAt: 20 }), reject({ receivedAt: 30 }), reject({ receivedAt: 40 }), reject({ receivedAt: 50 })]);
      expect(await store.purge({ receivedBefore: 25 })).toBe(2);
      expect(await store.purge({ keepNewest: 2 })).toBe(1);
      expect((await store.list({ limit: 10 })).map((r) => r.receivedAt)).toEqual([50, 40]);
      expect(await store.purge({ receivedBefore: 0, keepNewest: 5 })).toBe(0);
      expect(await store.count()).toBe(2);
    });

    it('neither the caller’s input nor what it reads can change a stored item', async () => {
      const input = reject();
      await store.addMany([input]);
      input.issues.push({ field: 'x', rule: 'y', message: 'scribbled' });
      input.issues[0]!.message = 'scribbled';
      const read = (await store.list({ limit: 1 }))[0]!;
      read.issues.push({ field: 'x', rule: 'y', message: 'scribbled' });
      read.source = 'scribbled';
      expect(await store.list({ limit: 1 })).toEqual([{ ...reject({ ...input, issues: [{ field: 'payload.amount.minor', rule: 'type', message: 'must be an integer' }] }), id: read.id }]);
    });
  });
}
