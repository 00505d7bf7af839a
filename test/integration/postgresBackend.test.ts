import { afterAll, describe, expect, it } from 'vitest';
import { Customer } from '../../src/core/customer.js';
import { openPgPool } from '../../src/store/postgres/db.js';
import { openPostgresBackend } from '../../src/store/backends/postgres.js';
import { openRedis } from '../../src/store/redis/client.js';
import { PgConsumerCheckpoints } from '../../src/store/postgres/consumerCheckpoints.js';
import { dropSchemas, freshSchema, newSchemaName, PG_URL } from './pg.js';
import { serviceAvailable } from './services.js';

const REDIS_URL = process.env.NEXTBEST_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const pgUp = await serviceAvailable('PostgreSQL', 5432);
const redisUp = pgUp && (await serviceAvailable('Redis', 6379));

describe.skipIf(!pgUp)('the PostgreSQL backend', () => {
  afterAll(dropSchemas);

  it('consumer checkpoints: none before the first, one per name, never moved back, kept across pools', async () => {
    const { pool, schema } = await freshSchema();
    const a = new PgConsumerCheckpoints(pool);
    expect(await a.get('features')).toBeUndefined();
    await a.put('responses', 10);
    await a.put('triggers', 3);
    await a.put('responses', 12);
    await a.put('responses', 5);
    expect(await a.list()).toEqual([
      { name: 'responses', seq: 12 },
      { name: 'triggers', seq: 3 },
    ]);
    const b = new PgConsumerCheckpoints(openPgPool({ url: PG_URL, schema }), { ownsPool: true });
    expect(await b.get('responses')).toBe(12);
    await b.close();
    await pool.end();
  });

  it.skipIf(!redisUp)('opens every port on PostgreSQL with profiles and contacts on Redis; two instances share what they write', async () => {
    const schema = newSchemaName();
    const cachePrefix = `nbt:${schema}:`;
    const [one, two] = await Promise.all([0, 1].map(() => openPostgresBackend({ url: PG_URL, schema, poolSize: 3, cacheUrl: REDIS_URL, cachePrefix })));
    const at = Date.parse('2026-03-01T10:00:00Z');
    await one!.customers.upsertMany([Customer.parse({ customerId: 'c1' })], at);
    expect(await two!.customers.count()).toBe(1);
    await one!.profiles.commit({ put: [{ customerId: 'c1', state: new Uint8Array([7]) }], remove: [], checkpoint: { seq: 1, version: 'v' } });
    expect([...(await two!.profiles.getMany(['c1']))[0]!]).toEqual([7]);
    const cap = { channel: '*', max: 1, periodMs: 86_400_000 };
    const both = await Promise.all([one!, two!].map((b, i) => b.contacts.commit('c1', [{ decisionId: `d${i}`, actionId: 'a', family: 'f', channel: 'push', at }], [cap], [])));
    expect(both.filter((r) => r.ok)).toHaveLength(1);
    await one!.catalogues.commit({ version: 'v1', catalogue: { n: 1 }, createdAt: at, author: null, source: 'config' }, null);
    expect(await two!.catalogues.currentVersion()).toBe('v1');
    expect(await one!.ping!(1000)).toEqual([
      { name: 'postgres', ok: true },
      { name: 'redis', ok: true },
    ]);
    await one!.close();
    await one!.close();
    await two!.close();
    const r = openRedis(REDIS_URL);
    const keys = await r.keys(`${cachePrefix}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  });

  it('ping: a Redis that does not answer is reported, PostgreSQL still answers', async () => {
    // Port 1 on loopback: nothing listens, so the connection is refused and retried.
    const backend = await openPostgresBackend({ url: PG_URL, schema: newSchemaName(), poolSize: 2, cacheUrl: 'redis://127.0.0.1:1' });
    const checks = await backend.ping!(300);
    expect(checks[0]).toEqual({ name: 'postgres', ok: true });
    expect(checks[1]).toMatchObject({ name: 'redis', ok: false });
    await backend.close();
  });
});
