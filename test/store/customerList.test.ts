import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CustomerStore } from '../../src/store/customerStore.js';
import { MemoryCustomerStore } from '../../src/store/memory/customerStore.js';
import { SqliteCustomerStore } from '../../src/store/sqlite/customerStore.js';
import { openSqlite } from '../../src/store/sqlite/db.js';

const adapters: [string, () => CustomerStore][] = [
  ['memory', () => new MemoryCustomerStore()],
  ['sqlite', () => new SqliteCustomerStore(openSqlite(join(mkdtempSync(join(tmpdir(), 'nb-cust-')), 'nextbest.db')))],
];

describe.each(adapters)('CustomerStore.list (%s)', (_name, open) => {
  it('pages every record once, in customerId order, by id cursor; erased ones are gone', async () => {
    const store = open();
    const ids = Array.from({ length: 57 }, (_, i) => `c${String((i * 37) % 57).padStart(3, '0')}`).concat(['C-upper', 'b-1', 'c-1']);
    await store.upsertMany(ids.map((customerId) => ({ customerId }) as never), 0);
    await store.erase('c010', 1);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.list({ ...(after ? { afterId: after } : {}), limit: 8 });
      seen.push(...page.map((c) => c.customerId));
      if (page.length < 8) break;
      after = page.at(-1)!.customerId;
    }
    const expected = ids.filter((id) => id !== 'c010').sort((a, b) => (a < b ? -1 : 1));
    expect(seen).toEqual(expected);
    expect(await store.list({ afterId: expected.at(-1)!, limit: 5 })).toEqual([]);
    await store.close();
  });
});
