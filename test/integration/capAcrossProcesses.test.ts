import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeArgs } from '../helpers/built.js';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgPool } from '../../src/store/postgres/db.js';
import { PgContactStore } from '../../src/store/postgres/contactStore.js';
import { openRedis } from '../../src/store/redis/client.js';
import { RedisContactStore } from '../../src/store/redis/contactStore.js';
import { dropSchemas, freshSchema, PG_URL } from './pg.js';
import { serviceAvailable } from './services.js';

const REDIS_URL = process.env.NEXTBEST_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const pgUp = await serviceAvailable('PostgreSQL', 5432);
const redisUp = await serviceAvailable('Redis', 6379);
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `processes` committer processes, each firing `each` commits at one shared moment:
 * once every one has started and connected (it says `ready`), all are told `go` at once
 * (before, they waited for a start time 8 s ahead, to be sure of it on a loaded machine).
 * Returns every accepted flag.
 */
async function race(kind: 'pg' | 'redis', url: string, where: string, processes: number, each: number): Promise<boolean[]> {
  const children = Array.from({ length: processes }, (_, w) => spawn(process.execPath, [...nodeArgs('test/integration/capCommitter.ts'), kind, url, where, String(w), String(each)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] }));
  let ready = 0;
  const runs = children.map(
    (child, w) =>
      new Promise<boolean[]>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => {
          const before = out;
          out += d.toString();
          if (!before.includes('ready\n') && out.includes('ready\n') && ++ready === processes) for (const c of children) c.stdin.end('go\n');
        });
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => {
          if (code === 0) return resolve(JSON.parse(out.slice(out.indexOf('ready\n') + 'ready\n'.length)) as boolean[]);
          // The others would wait for a `go` that never comes.
          for (const c of children) if (c.exitCode === null) c.kill();
          reject(new Error(`committer ${w} exited ${code}: ${err}`));
        });
      }),
  );
  return (await Promise.all(runs)).flat();
}

describe('a cap of one across separate processes', () => {
  afterAll(async () => {
    if (pgUp) await dropSchemas();
  });

  it.skipIf(!pgUp)('PostgreSQL: 4 processes × 6 commits at once, exactly one stored', async () => {
    const { pool, schema } = await freshSchema();
    const accepted = await race('pg', PG_URL, schema, 4, 6);
    expect(accepted).toHaveLength(24);
    expect(accepted.filter(Boolean)).toHaveLength(1);
    const store = new PgContactStore(openPgPool({ url: PG_URL, schema }), { ownsPool: true });
    expect((await store.history('c1', 0)).contacts).toHaveLength(1);
    await store.close();
    await pool.end();
  });

  it.skipIf(!redisUp)('Redis: 4 processes × 6 commits at once, exactly one stored', async () => {
    const prefix = `nbt:${process.pid}:${Date.now().toString(36)}:procs:`;
    const accepted = await race('redis', REDIS_URL, prefix, 4, 6);
    expect(accepted).toHaveLength(24);
    expect(accepted.filter(Boolean)).toHaveLength(1);
    const store = new RedisContactStore(openRedis(REDIS_URL), { prefix, ownsClient: true });
    expect((await store.history('c1', 0)).contacts).toHaveLength(1);
    await store.eraseCustomer('c1');
    await store.close();
    const r = openRedis(REDIS_URL);
    const keys = await r.keys(`${prefix}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  });
});
