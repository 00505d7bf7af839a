/**
 * A separate process for the cross-process cap test (capAcrossProcesses.test.ts): opens
 * its own contact store and its connections, prints `ready`, waits for `go` on stdin (sent
 * to every committer at once), commits `count` contacts for one customer at once under a cap
 * of one, and prints which were accepted as JSON on the next line.
 * Usage: capCommitter.ts pg|redis URL SCHEMA_OR_PREFIX WORKER COUNT
 */
import type { ContactStore } from '../../src/store/contactStore.js';
import { openPgPool } from '../../src/store/postgres/db.js';
import { PgContactStore } from '../../src/store/postgres/contactStore.js';
import { openRedis } from '../../src/store/redis/client.js';
import { RedisContactStore } from '../../src/store/redis/contactStore.js';

const [kind, url, where, worker, count] = process.argv.slice(2) as [string, string, string, string, string];
const store: ContactStore =
  kind === 'pg' ? new PgContactStore(openPgPool({ url, schema: where, max: Number(count) }), { ownsPool: true }) : new RedisContactStore(openRedis(url), { prefix: where, ownsClient: true });
// One warm-up read so every connection is open before the start.
await Promise.all(Array.from({ length: Number(count) }, () => store.capacityUsed(['warm'])));
process.stdout.write('ready\n');
await new Promise<void>((resolve) => {
  let got = '';
  process.stdin.on('data', (d: Buffer) => {
    got += d.toString();
    if (got.includes('go\n')) resolve();
  });
});
process.stdin.destroy();
const at = Date.parse('2026-03-01T10:00:00Z');
const results = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) => store.commit('c1', [{ decisionId: `d${worker}-${i}`, actionId: 'a', family: 'savings', channel: 'push', at }], [{ channel: '*', max: 1, periodMs: 86_400_000 }], [])),
);
process.stdout.write(JSON.stringify(results.map((r) => r.ok)));
await store.close();
