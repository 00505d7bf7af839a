import { afterAll, describe, expect, it } from 'vitest';
import { openRedis } from '../../src/store/redis/client.js';
import { RedisContactStore } from '../../src/store/redis/contactStore.js';
import { RedisProfileStore } from '../../src/store/redis/profileStore.js';
import { contactStoreContract } from '../store/contactStore.contract.js';
import { profileStoreContract } from '../store/profileStore.contract.js';
import { serviceAvailable } from './services.js';

const REDIS_URL = process.env.NEXTBEST_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const available = await serviceAvailable('Redis', 6379);

// Keys of this run start with RUN: parallel runs never share one, and all are deleted after.
const RUN = `nbt:${process.pid}:${Date.now().toString(36)}:`;
let n = 0;
const prefix = () => `${RUN}${++n}:`;

async function dropKeys(): Promise<void> {
  const r = openRedis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${RUN}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await r.del(...keys);
  } while (cursor !== '0');
  await r.quit();
}

describe.skipIf(!available)('the store contracts on Redis (127.0.0.1:6379)', () => {
  afterAll(dropKeys);
  profileStoreContract('redis', async () => new RedisProfileStore(openRedis(REDIS_URL), { prefix: prefix(), ownsClient: true }));
  contactStoreContract('redis', async () => new RedisContactStore(openRedis(REDIS_URL), { prefix: prefix(), ownsClient: true }));

  it('a cap of one holds against 24 commits at once from 24 separate connections: exactly one wins', async () => {
    const p = prefix();
    const stores = Array.from({ length: 24 }, () => new RedisContactStore(openRedis(REDIS_URL), { prefix: p, ownsClient: true }));
    const at = Date.parse('2026-03-01T10:00:00Z');
    const results = await Promise.all(
      stores.map((s, i) => s.commit('c1', [{ decisionId: `d${i}`, actionId: 'a', family: 'savings', channel: 'push', at }], [{ channel: '*', max: 1, periodMs: 86_400_000 }], [{ key: 'action:a:2026-03-01', max: 100 }])),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'cap')).toHaveLength(23);
    expect((await stores[0]!.history('c1', 0)).contacts).toHaveLength(1);
    // The refused commits took no capacity either.
    expect(await stores[0]!.capacityUsed(['action:a:2026-03-01'])).toEqual([1]);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('a daily capacity of five holds against 40 commits for 40 customers at once', async () => {
    const p = prefix();
    const stores = Array.from({ length: 8 }, () => new RedisContactStore(openRedis(REDIS_URL), { prefix: p, ownsClient: true }));
    const at = Date.parse('2026-03-01T10:00:00Z');
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 8]!.commit(`c${i}`, [{ decisionId: `d${i}`, actionId: 'a', family: 'savings', channel: 'push', at }], [], [{ key: 'k', max: 5 }])));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(await stores[0]!.capacityUsed(['k'])).toEqual([5]);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('profiles written by one instance are read by another; a lost Redis leaves no checkpoint, so the log is replayed', async () => {
    const p = prefix();
    const a = new RedisProfileStore(openRedis(REDIS_URL), { prefix: p, ownsClient: true });
    const b = new RedisProfileStore(openRedis(REDIS_URL), { prefix: p, ownsClient: true });
    await a.commit({ put: [{ customerId: 'c1', state: new Uint8Array([1, 2, 3]) }], remove: [], checkpoint: { seq: 10, version: 'v' } });
    expect([...(await b.getMany(['c1']))[0]!]).toEqual([1, 2, 3]);
    expect(await b.checkpoint()).toEqual({ seq: 10, version: 'v' });
    await dropKeys(); // what a flushed or replaced Redis looks like
    expect(await b.checkpoint()).toBeUndefined();
    expect(await b.getMany(['c1'])).toEqual([undefined]);
    await a.close();
    await b.close();
  });
});
