import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { Customer, type CustomerInput } from '../../src/core/customer.js';
import type { CustomerStore } from '../../src/store/customerStore.js';

const customer = (input: Partial<CustomerInput> & { customerId: string }): Customer => Customer.parse(input);

/** Mutates what a store handed back (throws when the store hands out frozen records): either way the store must not change. */
function scribble(c: Customer): void {
  try {
    c.holdings.push('scribbled');
    c.attributes.scribbled = true;
    c.region = 'scribbled';
  } catch {
    // A frozen record refuses the write: as good as a copy.
  }
}

/** The one contract every CustomerStore adapter passes (STYLE.md 11). */
export function customerStoreContract(name: string, open: () => Promise<CustomerStore>): void {
  describe(`CustomerStore contract: ${name}`, () => {
    let store: CustomerStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      expect(await store.count()).toBe(0);
      expect(await store.getMany(['c1'])).toEqual([undefined]);
      expect(await store.erasedAmong(['c1'])).toEqual(new Set());
    });

    it('reads back every field, in the order asked, with undefined for the unknown', async () => {
      const full = customer({
        customerId: 'c-1:a@b.c',
        dateOfBirth: '1985-06-15',
        region: 'London',
        riskTolerance: 'medium',
        financialSophistication: 'novice',
        vulnerabilityFlags: ['bereavement'],
        preferredChannel: 'email',
        customerSince: '2010-01-31',
        holdings: ['current_account', 'isa'],
        consents: { marketing: true, profiling: false },
        attributes: { segment: 'mass_affluent', score: 0.25, student: false },
      });
      await store.upsertMany([full, customer({ customerId: 'c2' })], 1);
      expect(await store.getMany(['c2', 'nobody', 'c-1:a@b.c', 'c2'])).toEqual([customer({ customerId: 'c2' }), undefined, full, customer({ customerId: 'c2' })]);
      expect(await store.count()).toBe(2);
    });

    it('an upsert replaces the whole record; the last of one id in a batch wins', async () => {
      await store.upsertMany([customer({ customerId: 'c1', region: 'Leeds', holdings: ['isa'] })], 1);
      const before = (await store.getMany(['c1']))[0]!;
      await store.upsertMany([customer({ customerId: 'c1', region: 'York' }), customer({ customerId: 'c1', region: 'Bath' })], 2);
      expect((await store.getMany(['c1']))[0]).toEqual(customer({ customerId: 'c1', region: 'Bath' }));
      expect(await store.count()).toBe(1);
      // A record read earlier is a snapshot: the later upsert did not change it.
      expect(before).toEqual(customer({ customerId: 'c1', region: 'Leeds', holdings: ['isa'] }));
    });

    it('neither the caller’s input nor what it reads can change the stored record', async () => {
      const input = customer({ customerId: 'c1', holdings: ['isa'] });
      await store.upsertMany([input], 1);
      scribble(input);
      scribble((await store.getMany(['c1']))[0]!);
      expect((await store.getMany(['c1']))[0]).toEqual(customer({ customerId: 'c1', holdings: ['isa'] }));
    });

    it('erases a record and keeps a tombstone, also for an id it never held', async () => {
      await store.upsertMany([customer({ customerId: 'c1' }), customer({ customerId: 'c2' })], 1);
      expect(await store.getMany(['c1'])).toHaveLength(1);
      expect(await store.erase('c1', 5)).toBe(true);
      expect(await store.erase('c1', 6)).toBe(false);
      expect(await store.erase('ghost', 7)).toBe(false);
      expect(await store.getMany(['c1', 'c2'])).toEqual([undefined, customer({ customerId: 'c2' })]);
      expect(await store.count()).toBe(1);
      expect(await store.erasedAmong(['c1', 'c2', 'ghost', 'other'])).toEqual(new Set(['c1', 'ghost']));
    });

    it('an empty batch is a no-op', async () => {
      await store.upsertMany([], 1);
      expect(await store.count()).toBe(0);
      expect(await store.getMany([])).toEqual([]);
    });
  });
}
