import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { openSqlite } from '../../src/store/sqlite/db.js';
import { SqliteContactStore } from '../../src/store/sqlite/contactStore.js';
import { SqliteDecisionLog } from '../../src/store/sqlite/decisionLog.js';
import { KeyedMutex } from '../../src/decisioning/index.js';
import { rig, scenarioCatalogue } from './rig.js';

/** One contact a week per customer, whatever the channel. */
const weeklyCap = () => {
  const c = scenarioCatalogue();
  return { ...c, contactPolicy: { ...c.contactPolicy, caps: [{ channel: '*' as const, max: 1, periodDays: 7 }] } };
};

describe('contact counters under concurrent decisions', () => {
  for (const store of ['memory', 'sqlite'] as const) {
    it(`64 parallel decisions for one customer never exceed the cap (${store})`, async () => {
      const db = store === 'sqlite' ? openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-conc-')), 'db.sqlite')) : undefined;
      const { d, customer, contacts } = rig({ catalogue: weeklyCap(), ...(db ? { contacts: new SqliteContactStore(db), log: new SqliteDecisionLog(db) } : {}) });
      customer({ customerId: 'c1' });
      const channels = ['push', 'email', 'in_app'] as const;
      const results = await Promise.all(Array.from({ length: 64 }, (_, k) => d.decide({ customerId: 'c1', channel: channels[k % 3]!, n: 3 })));
      const shown = results.reduce((s, r) => s + r.chosen.length, 0);
      expect(shown).toBe(1);
      expect((await contacts.history('c1', 0)).contacts).toHaveLength(1);
      expect(results.filter((r) => r.chosen.length === 0).every((r) => r.candidates.some((c) => c.excludedBy?.rule === 'frequency_cap'))).toBe(true);
      db?.close();
    });
  }

  it('capacity shared by 40 customers deciding at once is never overbooked', async () => {
    const { d, customer } = rig();
    for (let i = 0; i < 40; i++) customer({ customerId: `c${i}`, consents: {} });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => d.decide({ customerId: `c${i}`, channel: 'in_app' })));
    expect(results.filter((r) => r.chosen.some((c) => c.actionId === 'help'))).toHaveLength(2);
  });

  it('the keyed mutex runs one holder per key at a time and forgets idle keys', async () => {
    const m = new KeyedMutex();
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, k) =>
        m.run('a', async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, k % 3));
          order.push(k);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(order).toEqual(Array.from({ length: 20 }, (_, k) => k));
    expect(m.size).toBe(0);
    await expect(m.run('b', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await m.run('b', async () => 7)).toBe(7);
  });
});
